import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// recon against real daemons from Debian (OpenSSH, nginx, Apache, Postfix, vsftpd, Redis,
/// memcached, MariaDB, PostgreSQL, Dovecot, Mosquitto) on loopback high ports.
@Suite(
    "Real daemons", .serialized, .enabled(if: RealDaemons.available, "needs root and Tests/daemons/daemons.sh install"))
struct RealDaemonTests {
    @Test func identifiesStockDaemons() throws {
        let daemons = try RealDaemons(mode: "stock")
        defer { daemons.stop() }
        let result = try CommandRunner.recon([
            "scan", "--banner", "127.0.0.1", RealDaemons.portList, "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try result.report()
        #expect(report.run.elapsedSeconds < 3, "probing real daemons took \(report.run.elapsedSeconds) s")
        func service(_ name: String) -> ServiceMatch? { report.port(RealDaemons.ports[name]!)?.service }

        let expectations: [(daemon: String, service: String, product: String?, hasVersion: Bool)] = [
            ("ssh", "ssh", "OpenSSH", true),
            ("vsftpd", "ftp", "vsftpd", true),
            ("postfix", "smtp", "Postfix smtpd", false),
            ("nginx", "http", "nginx", true),
            ("apache", "http", "Apache httpd", true),
            ("redis", "redis", "Redis key-value store", false),
            ("memcached", "memcached", "Memcached", true),
            ("mariadb", "mysql", "MariaDB", true),
            ("postgresql", "postgresql", "PostgreSQL DB", false),
            ("imap", "imap", "Dovecot imapd", false),
            ("pop3", "pop3", "Dovecot pop3d", false),
            // The test broker refuses anonymous clients: its CONNACK names no product.
            ("mosquitto", "mqtt", nil, false),
        ]
        var failures: [String] = []
        for expected in expectations {
            let found = service(expected.daemon)
            let productMatches = expected.product.map { found?.product?.hasPrefix($0) == true } ?? true
            if found?.name != expected.service || !productMatches
                || (expected.hasVersion && found?.version == nil) || found?.method == .portTable
            {
                failures.append("\(expected.daemon): expected \(expected), found \(String(describing: found))")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(service("ssh")?.version?.hasPrefix("9.") == true)
        #expect(service("nginx")?.cpe.first?.hasPrefix("cpe:/a:igor_sysoev:nginx:") == true)
    }

    /// What each stock daemon discloses (ground truth, from its greeting, headers, error page and
    /// replies), by the rule that must report it. The hardened configuration hides all of them
    /// except those that no setting can hide.
    static let stockDisclosures: [String: Set<String>] = [
        "ssh": ["openssh-distribution"], "nginx": ["nginx-server-version", "nginx-error-page-version"],
        "apache": ["apache-server-version", "apache-error-page-version"], "postfix": ["postfix-banner"],
        "vsftpd": ["vsftpd-version"], "redis": ["redis-version"], "memcached": ["memcached-version"],
        "mariadb": ["mysql-version"], "imap": ["dovecot-greeting"], "pop3": ["dovecot-greeting"],
    ]
    /// Disclosures that no setting hides, which the hardened half still shows.
    static let unhideable: [String: Set<String>] = ["ssh": ["ssh-version"], "memcached": ["memcached-version"]]

    /// Runs the audit on every daemon port and returns (rule, daemon) pairs of findings above info.
    private func audit(_ mode: String) throws -> (status: Int32, flagged: Set<String>, report: ScanReport) {
        let daemons = try RealDaemons(mode: mode)
        defer { daemons.stop() }
        let result = try CommandRunner.recon(["audit", "127.0.0.1", RealDaemons.portList, "--format", "json"])
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try result.report()
        let names = Dictionary(uniqueKeysWithValues: RealDaemons.ports.map { (Int($0.value), $0.key) })
        let flagged = (report.findings ?? []).filter { $0.severity > .info }.map {
            "\(names[$0.port] ?? "?") \($0.rule)"
        }
        return (result.status, Set(flagged), report)
    }

    /// The audit's bar: every disclosure of the stock daemons found (recall), nothing flagged on
    /// the hardened ones but what cannot be hidden (precision); both printed for the notes.
    @Test func auditStockAndHardenedDaemons() throws {
        func pairs(_ table: [String: Set<String>]) -> Set<String> {
            Set(table.flatMap { daemon, rules in rules.map { "\(daemon) \($0)" } })
        }
        let expected = pairs(Self.stockDisclosures)
        let stock = try audit("stock")
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
    }
}
