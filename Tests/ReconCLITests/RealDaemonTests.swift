import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// recon against real daemons from Debian (OpenSSH, nginx, Apache, lighttpd, Squid, Postfix,
/// vsftpd, Redis, memcached, MariaDB, PostgreSQL, Dovecot, Mosquitto, BIND, ngIRCd, rsyncd,
/// telnetd, and nginx, Postfix and Dovecot behind implicit TLS) on loopback high ports, with
/// default options: silent services on unusual ports are named within the banner timeout.
@Suite(
    "Real daemons", .serialized, .enabled(if: RealDaemons.available, "needs root and Tests/daemons/daemons.sh install"))
struct RealDaemonTests {
    /// The stock daemons named with default options, within the time bar.
    private func identifyStockDaemons() throws {
        let result = try CommandRunner.recon([
            "scan", "--banner", "127.0.0.1", RealDaemons.portList, "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try result.report()
        // One banner timeout (1.5 s) and the parallel probes; the debug binary's start-up and a
        // shared CI machine leave some room (a release build takes about 1.6 s: see the README).
        #expect(report.run.elapsedSeconds < 3, "probing real daemons took \(report.run.elapsedSeconds) s")
        func service(_ name: String) -> ServiceMatch? { report.port(RealDaemons.ports[name]!)?.service }

        var failures = Self.unmet(Self.stockServices, service)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(service("ssh")?.version?.hasPrefix("9.") == true)
        #expect(service("nginx")?.cpe.first?.hasPrefix("cpe:/a:igor_sysoev:nginx:") == true)
        #expect(report.port(RealDaemons.ports["nginx-https"]!)?.tls?.subject == "CN=recon-test.localdomain")
    }

    /// What recon must name on each stock daemon: service, product prefix (nil: none expected),
    /// whether a version is expected, and the tunnel. nmap -sV names the same service and
    /// product on each of them (and nothing on the Mosquitto ports; see Tests/daemons/README.md).
    static let stockServices: [Expectation] = [
        Expectation("ssh", "ssh", "OpenSSH", version: true),
        Expectation("vsftpd", "ftp", "vsftpd", version: true),
        Expectation("postfix", "smtp", "Postfix smtpd"),
        Expectation("nginx", "http", "nginx", version: true),
        Expectation("apache", "http", "Apache httpd", version: true),
        Expectation("lighttpd", "http", "lighttpd", version: true),
        Expectation("squid", "http-proxy", "Squid http proxy", version: true),
        Expectation("redis", "redis", "Redis key-value store", version: true),
        Expectation("memcached", "memcached", "Memcached", version: true),
        Expectation("mariadb", "mysql", "MariaDB", version: true),
        Expectation("postgresql", "postgresql", "PostgreSQL DB"),
        Expectation("imap", "imap", "Dovecot imapd"),
        Expectation("pop3", "pop3", "Dovecot pop3d"),
        // The first broker refuses anonymous clients: its CONNACK names no product.
        Expectation("mosquitto", "mqtt", nil),
        Expectation("mosquitto-anon", "mqtt", "Mosquitto", version: true),
        Expectation("bind", "domain", "ISC BIND", version: true),
        Expectation("ngircd", "irc", "ngircd", version: true),
        Expectation("rsync", "rsync", nil),
        Expectation("telnetd", "telnet", nil),
        Expectation("nginx-https", "http", "nginx", version: true, tunnel: .ssl),
        Expectation("postfix-smtps", "smtp", "Postfix smtpd", tunnel: .ssl),
        Expectation("imaps", "imap", "Dovecot imapd", tunnel: .ssl),
        Expectation("pop3s", "pop3", "Dovecot pop3d", tunnel: .ssl),
    ]

    /// The hardened daemons hide versions, not what they are (Postfix by its EHLO extensions).
    static let hardenedServices: [Expectation] = [
        Expectation("postfix", "smtp", "Postfix smtpd"),
        Expectation("postfix-smtps", "smtp", "Postfix smtpd", tunnel: .ssl),
        Expectation("nginx", "http", "nginx"), Expectation("lighttpd", "http", "lighttpd"),
        Expectation("squid", "http-proxy", "Squid http proxy"), Expectation("bind", "domain", nil),
        Expectation("ngircd", "irc", "ngircd", version: true), Expectation("mosquitto-anon", "mqtt", nil),
        Expectation("redis", "redis", "Redis key-value store"), Expectation("imaps", "imap", nil, tunnel: .ssl),
    ]

    struct Expectation: CustomStringConvertible {
        var daemon, service: String
        var product: String?
        var version = false
        var tunnel: Tunnel?

        init(_ daemon: String, _ service: String, _ product: String?, version: Bool = false, tunnel: Tunnel? = nil) {
            (self.daemon, self.service, self.product, self.version, self.tunnel) =
                (daemon, service, product, version, tunnel)
        }

        var description: String {
            "\(service) \(product ?? "-")\(version ? " with a version" : "")\(tunnel == .ssl ? " over TLS" : "")"
        }
    }

    /// The expectations that `service` does not meet, one line each.
    static func unmet(_ expectations: [Expectation], _ service: (String) -> ServiceMatch?) -> [String] {
        expectations.compactMap { expected in
            let found = service(expected.daemon)
            let productMatches = expected.product.map { found?.product?.hasPrefix($0) == true } ?? true
            let met =
                found?.name == expected.service && productMatches && (!expected.version || found?.version != nil)
                && found?.method != .portTable && found?.tunnel == expected.tunnel
            return met ? nil : "\(expected.daemon): expected \(expected), found \(String(describing: found))"
        }
    }

    /// What each stock daemon discloses (ground truth, from its greeting, headers, error page and
    /// replies), by the rule that must report it. The hardened configuration hides all of them
    /// except those that no setting can hide.
    static let stockDisclosures: [String: Set<String>] = [
        "ssh": ["openssh-distribution"], "nginx": ["nginx-server-version", "nginx-error-page-version"],
        "apache": ["apache-server-version", "apache-error-page-version"], "postfix": ["postfix-banner"],
        "vsftpd": ["vsftpd-version"], "redis": ["redis-version"], "memcached": ["memcached-version"],
        "mariadb": ["mysql-version"], "imap": ["dovecot-greeting"], "pop3": ["dovecot-greeting"],
        "lighttpd": ["lighttpd-server-version"],
        "squid": ["squid-server-version", "squid-via-version", "squid-error-page-version"],
        "bind": ["dns-version-bind"], "ngircd": ["irc-version"], "mosquitto-anon": ["mqtt-broker-version"],
        "nginx-https": ["nginx-server-version", "nginx-error-page-version"], "postfix-smtps": ["postfix-banner"],
        "imaps": ["dovecot-greeting"], "pop3s": ["dovecot-greeting"],
    ]
    /// Disclosures that no setting hides, which the hardened half still shows.
    static let unhideable: [String: Set<String>] = [
        "ssh": ["ssh-version"], "memcached": ["memcached-version"], "ngircd": ["irc-version"],
    ]

    /// Runs the audit on every daemon port and returns (rule, daemon) pairs of findings above info.
    /// The daemons start once per mode: `first` runs while they do, before the audit.
    private func audit(_ mode: String, after first: () throws -> Void = {}) throws -> (
        status: Int32, flagged: Set<String>, report: ScanReport
    ) {
        let daemons = try RealDaemons(mode: mode)
        defer { daemons.stop() }
        try first()
        let result = try CommandRunner.recon(["audit", "127.0.0.1", RealDaemons.portList, "--format", "json"])
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try result.report()
        let names = Dictionary(uniqueKeysWithValues: RealDaemons.ports.map { (Int($0.value), $0.key) })
        let flagged = (report.findings ?? []).filter { $0.severity > .info }.map {
            "\(names[$0.port] ?? "?") \($0.rule)"
        }
        return (result.status, Set(flagged), report)
    }

    /// Identification of the stock daemons, then the audit's bar: every disclosure of the stock
    /// daemons found (recall), nothing flagged on the hardened ones but what cannot be hidden
    /// (precision); both printed for the notes. Each mode's daemons start once.
    @Test func stockAndHardenedDaemons() throws {
        func pairs(_ table: [String: Set<String>]) -> Set<String> {
            Set(table.flatMap { daemon, rules in rules.map { "\(daemon) \($0)" } })
        }
        let expected = pairs(Self.stockDisclosures)
        let stock = try audit("stock", after: identifyStockDaemons)
        #expect(stock.status == 6)
        let hardened = try audit("hardened")
        #expect(hardened.status == 0, "only findings that cannot be hidden remain, and they never fail")
        let hardenedExpected = pairs(Self.unhideable)
        let truePositives =
            stock.flagged.intersection(expected).count + hardened.flagged.intersection(hardenedExpected).count
        let flaggedCount = stock.flagged.count + hardened.flagged.count
        let precision = Double(truePositives) / Double(max(1, flaggedCount))
        let recall = Double(stock.flagged.intersection(expected).count) / Double(expected.count)
        print(
            "audit on real daemons: stock \(stock.flagged.count) flagged, hardened \(hardened.flagged.count) flagged;"
                + " precision \(precision), recall \(recall) (\(expected.count) stock disclosures)")
        #expect(expected.subtracting(stock.flagged).isEmpty, "missed: \(expected.subtracting(stock.flagged).sorted())")
        #expect(
            stock.flagged.subtracting(expected).isEmpty, "unexpected: \(stock.flagged.subtracting(expected).sorted())")
        #expect(hardened.flagged == hardenedExpected, "hardened flagged: \(hardened.flagged.sorted())")
        #expect(hardened.report.findings?.filter { $0.severity > .info }.allSatisfy { !$0.hideable } == true)
        let unmet = Self.unmet(Self.hardenedServices) { hardened.report.port(RealDaemons.ports[$0]!)?.service }
        #expect(unmet.isEmpty, "\(unmet.joined(separator: "\n"))")
    }
}
