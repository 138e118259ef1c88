import ReconTestSupport
import Testing

@testable import ReconCore

/// The shipped `policies/audit.rules` over realistic replies (stock and hardened daemons), and
/// the rules format's errors.
@Suite("Audit rules")
struct AuditRulesTests {
    /// The built-in rules: `policies/audit.rules` of this checkout, compiled in.
    static func shipped() throws -> AuditRules {
        try loaded.get()
    }

    private static let loaded = Result { () throws(AuditRulesError) -> AuditRules in try AuditRules.builtIn() }

    @Test func builtInRulesAreTheShippedFile() throws {
        let file = try AuditRules(contentsOf: CommandRunner.path("policies/audit.rules"))
        let builtIn = try Self.shipped()
        #expect(builtIn.rules.map(\.id) == file.rules.map(\.id))
        #expect(builtIn.requests == file.requests)
        #expect(builtIn.sources == [AuditRules.builtInPath])
    }

    private func findings(banner: String? = nil, probes: [(String, String)] = [], tls: TLSInfo? = nil) throws
        -> [AuditFinding]
    {
        var service = PortService()
        if let banner { service.banner = CapturedBytes(Array(banner.utf8), truncated: false) }
        if !probes.isEmpty {
            service.probes = probes.map {
                ProbeExchange(probe: $0.0, reply: CapturedBytes(Array($0.1.utf8), truncated: false), ended: .idle)
            }
        }
        service.tls = tls
        return Auditor(rules: try Self.shipped()).findings(
            host: "127.0.0.1", hostname: nil, port: 4242, service: service)
    }

    private func http(_ headers: String, body: String = "") -> String {
        "HTTP/1.1 200 OK\r\n" + headers.split(separator: "|").map { $0 + "\r\n" }.joined() + "\r\n" + body
    }

    @Test(
        "stock greetings disclose: rule, evidence bytes",
        arguments: [
            (
                "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n", "openssh-distribution",
                "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10"
            ),
            (
                "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n", "openssh-distribution",
                "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"
            ),
            ("220 (vsFTPd 3.0.3)\r\n", "vsftpd-version", "220 (vsFTPd 3.0.3)"),
            ("220 ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]\r\n", "proftpd-version", "220 ProFTPD 1.3.8"),
            (
                "220 h.example ESMTP Postfix (Debian/GNU)\r\n", "postfix-banner",
                "220 h.example ESMTP Postfix (Debian/GNU)"
            ),
            ("220 h.example ESMTP Postfix 3.7.11\r\n", "postfix-banner", "220 h.example ESMTP Postfix 3.7.11"),
            ("220 h ESMTP Exim 4.96 Sun, 22 Nov 2026 10:00:00 +0000\r\n", "exim-version", "220 h ESMTP Exim 4.96"),
            ("+OK Dovecot (Debian) ready.\r\n", "dovecot-greeting", "Dovecot (Debian) ready"),
            (
                "* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ AUTH=PLAIN] Dovecot (Ubuntu) ready.\r\n",
                "dovecot-greeting", "Dovecot (Ubuntu) ready"
            ),
            ("220 pure-ftpd 1.0.50 ready\r\n", "greeting-version", "pure-ftpd 1.0.50"),
            ("+OK POP3 server (Debian) ready\r\n", "greeting-os", "(Debian)"),
            (
                "Debian GNU/Linux 12 \\n \\l\r\nKernel 6.1.0-13-amd64 on x86_64\r\n", "login-banner-os",
                "Debian GNU/Linux 12"
            ),
            (
                ":irc.x NOTICE * :hi\r\n:irc.x 002 r :Your host is irc.x, running version ngircd-26.1\r\n",
                "irc-version", "running version ngircd-26.1"
            ),
        ])
    func stockGreetings(banner: String, rule: String, evidence: String) throws {
        let found = try findings(banner: banner)
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.rule == rule)
        #expect(finding.evidence.text == evidence)
        #expect(finding.evidence.location == "banner")
        #expect(
            Array(banner.utf8)[finding.evidence.offset..<(finding.evidence.offset + finding.evidence.length)]
                == Array(evidence.utf8)[...])
        #expect(finding.severity == .low)
        #expect(finding.message.contains("disclos"))
        #expect(!finding.message.contains("vulnerab"))
    }

    @Test(
        "hardened greetings disclose nothing",
        arguments: [
            "220 Welcome\r\n", "220 h.example ESMTP\r\n", "+OK Server ready.\r\n",
            "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Server ready.\r\n",
            "220 127.0.0.1 FTP server ready\r\n", "220 ftp.example.com at 10.1.2.3 ready\r\n",
            ":irc.x NOTICE * :*** Looking up your hostname...\r\n",
        ])
    func hardenedGreetings(banner: String) throws {
        #expect(try findings(banner: banner).isEmpty)
    }

    @Test("OpenSSH's own version is a finding that cannot be hidden")
    func opensshVersion() throws {
        let finding = try #require(try findings(banner: "SSH-2.0-OpenSSH_9.2p1\r\n").first)
        #expect(finding.rule == "ssh-version")
        #expect(!finding.hideable)
        #expect(finding.message == "SSH server version OpenSSH_9.2p1 disclosed in the protocol banner")
        #expect(!AuditThreshold.atLeast(.info).fails(finding))
    }

    @Test("MySQL handshake: version found in the binary greeting; MariaDB --version hides it")
    func mysqlHandshake() throws {
        let version = "5.5.5-10.11.19-MariaDB-0+deb12u1"
        var stock: [UInt8] = [UInt8(version.count + 40), 0, 0, 0, 0x0a] + Array(version.utf8) + [0, 7, 0, 0, 0]
        stock += Array("R@-\\hv;`".utf8) + [0, 0xfe, 0xf7]
        let finding = try #require(try findings(banner: String(decoding: stock, as: UTF8.self)).first)
        #expect(finding.rule == "mysql-version")
        #expect(finding.message.contains(version))
        var hardened: [UInt8] = [75, 0, 0, 0, 0x0a] + Array("MariaDB".utf8) + [0, 7, 0, 0, 0]
        hardened += Array("c,LzF,F[".utf8) + [0, 0xfe, 0xf7]
        #expect(try findings(banner: String(decoding: hardened, as: UTF8.self)).isEmpty)
    }

    @Test(
        "HTTP headers: vendor rules first, then generic version and OS rules, product names informational",
        arguments: [
            ("Server: nginx/1.22.1", "nginx-server-version", AuditSeverity.low, "nginx/1.22.1"),
            ("Server: Apache/2.4.71 (Debian)", "apache-server-version", .low, "Apache/2.4.71"),
            ("Server: Microsoft-IIS/10.0", "iis-server-version", .low, "Microsoft-IIS/10.0"),
            ("Server: Jetty(9.4.51.v20230217)", "jetty-server-version", .low, "Jetty(9.4.51.v20230217)"),
            ("Server: SimpleHTTP/0.6 Python/3.11.2", "python-server-version", .low, "SimpleHTTP/0.6"),
            ("X-Powered-By: PHP/8.2.7", "php-version", .low, "PHP/8.2.7"),
            ("X-AspNet-Version: 4.0.30319", "aspnet-version", .low, "4.0.30319"),
            ("X-AspNetMvc-Version: 5.2", "aspnetmvc-version", .low, "5.2"),
            ("X-Generator: Drupal 10 (https://www.drupal.org)", "x-generator-version", .low, "Drupal 10"),
            ("Via: 1.1 squid/5.7 (squid/5.7)", "squid-via-version", .low, "squid/5.7"),
            ("Server: Caddy/2.7.6", "http-header-version", .low, "Caddy/2.7.6"),
            ("Via: 1.1 varnish (Varnish/6.0)", "http-header-version", .low, "Varnish/6.0"),
            ("server: Apache (Unix)", "http-header-os", .low, "Unix"),
            ("Server: nginx", "http-header-product", .info, "nginx"),
            ("X-Powered-By: Express", "http-header-product", .info, "Express"),
            ("Via: HTTP/1.1 proxy.example", "http-header-product", .info, "HTTP/1.1 proxy.example"),
        ])
    func headers(header: String, rule: String, severity: AuditSeverity, evidence: String) throws {
        let reply = http("Date: Sun, 22 Nov 2026 02:34:57 GMT|\(header)|Content-Length: 0")
        let found = try findings(probes: [("http", reply)])
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.rule == rule)
        #expect(finding.severity == severity)
        #expect(finding.evidence.text == evidence)
        #expect(finding.evidence.request == "GET /")
        let name = String(header.prefix { $0 != ":" })
        #expect(finding.evidence.location == "http-header \(name)")
        #expect(finding.evidence.context == header)
        let bytes = Array(reply.utf8)
        #expect(
            Array(bytes[finding.evidence.offset..<(finding.evidence.offset + finding.evidence.length)])
                == Array(evidence.utf8))
    }

    @Test("error pages: signatures found in the body of the not-found page only")
    func errorPages() throws {
        let apache = "<hr>\n<address>Apache/2.4.71 (Debian) Server at 127.0.0.1 Port 42081</address>\n</body></html>"
        let nginx = "<hr><center>nginx/1.22.1</center>\n</body>"
        let found = try findings(probes: [
            ("http", http("Server: Apache", body: apache)),
            ("http-error-page", http("Server: Apache", body: apache)),
        ])
        #expect(Set(found.map(\.rule)) == ["apache-error-page-version", "http-header-product"])
        #expect(
            found.first { $0.rule == "apache-error-page-version" }?.evidence.request == "GET /.recon-audit-not-found")
        #expect(
            try findings(probes: [("http-error-page", http("Server: x", body: nginx))]).map(\.rule).contains(
                "nginx-error-page-version"))
        let hardenedPage = http("Server: nginx", body: "<hr><center>nginx</center>")
        let hardened = try findings(probes: [("http-error-page", hardenedPage)])
        #expect(Set(hardened.map(\.rule)) == ["http-header-product", "error-page-product"])
        #expect(hardened.allSatisfy { $0.severity == .info })
    }

    @Test("one finding per place: a header seen in two responses is one finding, with one fingerprint")
    func onePerPlace() throws {
        let reply = http("Server: nginx/1.22.1")
        let found = try findings(probes: [("http", reply), ("http-error-page", reply)])
        #expect(found.count == 1)
        #expect(found[0].evidence.exchange == "http")
    }

    @Test("replies to named probes: DNS version.bind, memcached, Redis INFO")
    func replies() throws {
        var dns: [UInt8] =
            [0, 67, 0, 6, 0x85, 0, 0, 1, 0, 1, 0, 0, 0, 0, 7] + Array("version".utf8) + [4] + Array("bind".utf8)
        dns +=
            [0, 0, 0x10, 0, 3, 0xc0, 0x0c, 0, 0x10, 0, 3, 0, 0, 0, 0, 0, 25, 24]
            + Array("9.18.28-1~deb12u2-Debian".utf8)
        var service = PortService()
        service.probes = [
            ProbeExchange(probe: "dns-version-bind", reply: CapturedBytes(dns, truncated: false), ended: .idle)
        ]
        let auditor = Auditor(rules: try Self.shipped())
        let finding = try #require(
            auditor.findings(host: "::1", hostname: "localhost", port: 53, service: service).first)
        #expect(finding.rule == "dns-version-bind")
        #expect(
            finding.message == "DNS server version \"9.18.28-1~deb12u2-Debian\" disclosed in version.bind (CHAOS TXT)")
        #expect(finding.hostname == "localhost")
        #expect(try findings(probes: [("memcached", "VERSION 1.6.18\r\n")]).first?.hideable == false)
        #expect(
            try findings(probes: [("redis", "$3000\r\n# Server\r\nredis_version:7.0.15\r\n")]).first?.rule
                == "redis-version")
        #expect(try findings(probes: [("redis", "-NOAUTH Authentication required.\r\n")]).isEmpty)
        let mosquitto =
            "\u{20}\u{2}\u{0}\u{0}\u{90}\u{3}\u{0}\u{1}\u{0}1-\u{0}\u{13}$SYS/broker/versionmosquitto version 2.0.11"
        let broker = try #require(try findings(probes: [("mqtt", mosquitto)]).first)
        #expect(broker.rule == "mqtt-broker-version" && broker.message.contains("mosquitto version 2.0.11"))
        #expect(broker.hideable)
        #expect(try findings(probes: [("mqtt", "\u{20}\u{2}\u{0}\u{0}\u{90}\u{3}\u{0}\u{1}\u{0}")]).isEmpty)
        let registration = ":irc.example 002 recon :Your host is irc.example, running version ngircd-26.1\r\n"
        let irc = try #require(try findings(probes: [("irc", registration)]).first)
        #expect(irc.rule == "irc-version" && !irc.hideable)
        let ehlo = "250-mx.example Hello x [127.0.0.1]\r\n250-SIZE 52428800\r\n250 HELP\r\n"
        #expect(try findings(probes: [("smtp-ehlo", ehlo)]).filter { $0.severity > .info }.isEmpty)
        let exim = "250-mx.example Exim 4.96 Hello x [127.0.0.1]\r\n250 HELP\r\n"
        #expect(try findings(probes: [("smtp-ehlo", exim)]).first?.rule == "smtp-ehlo-version")
    }

    @Test("TLS certificate fields")
    func certificate() throws {
        let tls = TLSInfo(
            subject: "C=AU, ST=Some-State, O=Internet Widgits Pty Ltd, CN=x", issuer: "CN=Webmin Webserver on h")
        let found = try findings(tls: tls)
        #expect(Set(found.map(\.rule)) == ["tls-cert-openssl-default", "tls-cert-product"])
        #expect(found.allSatisfy { $0.severity == .info && $0.evidence.exchange == "tls" })
    }

    @Test("fingerprints are stable, and differ by rule, host, port and place")
    func fingerprints() {
        let base = AuditFinding.fingerprint(rule: "r", host: "127.0.0.1", port: 22, place: "banner")
        #expect(base.count == 16)
        #expect(base == String(SHA256.hex(Array("recon-audit/1|r|127.0.0.1|22|banner".utf8)).prefix(16)))
        let others = [
            AuditFinding.fingerprint(rule: "s", host: "127.0.0.1", port: 22, place: "banner"),
            AuditFinding.fingerprint(rule: "r", host: "127.0.0.2", port: 22, place: "banner"),
            AuditFinding.fingerprint(rule: "r", host: "127.0.0.1", port: 23, place: "banner"),
            AuditFinding.fingerprint(rule: "r", host: "127.0.0.1", port: 22, place: "reply x"),
        ]
        #expect(Set(others + [base]).count == 5)
    }

    @Test("SHA-256 known answers (FIPS 180-4 examples)")
    func sha256() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(
        "bad rules files are refused with file, line and reason",
        arguments: [
            ("severity low", 1, "unknown line 'severity'"),
            ("rule a\n  severity low\n  inspect banner\n  match m|x|\n  title t", 1, "rule 'a' lacks remediation"),
            ("rule a\n  severity bad", 2, "severity must be info, low, medium or high, not 'bad'"),
            ("rule a\n  inspect header Server", 2, "unknown place 'header'"),
            ("rule a\n  inspect tls-cert body", 2, "'inspect tls-cert' takes subject, issuer or san"),
            ("rule a\n  inspect banner x", 2, "'inspect banner' takes no name"),
            ("rule a\n  match m|(|", 2, "regex does not compile"),
            ("rule a\n  match m|a|x", 2, "unknown regex option 'x'"),
            ("rule a\n  match m|a", 2, "the regex is missing its closing '|'"),
            ("rule a\n  title", 2, "'title' needs text"),
            ("rule a\n  message $Z(1)", 2, "unknown substitution"),
            ("rule a\n  colour red", 2, "unknown setting 'colour'"),
            ("rule a b", 1, "'rule' takes only an id"),
            ("rule a/b", 1, "'rule' needs an id"),
            ("request r service x send q|a|\nrequest r service y send q|b|", 2, "request 'r' is defined twice"),
            ("request r send q|a|", 1, "expected 'request NAME service"),
            (
                "rule a\n severity low\n inspect banner\n match m|a|\n title t\n remediation r\nrule a", 7,
                "rule 'a' is defined twice"
            ),
        ])
    func badFiles(text: String, line: Int, message: String) {
        #expect {
            _ = try AuditRules(path: "bad.rules", text: text)
        } throws: { error in
            guard let error = error as? AuditRulesError else { return false }
            return error.line == line && error.message.contains(message)
                && error.description.hasPrefix("bad.rules:\(line): ")
        }
    }

    @Test("the shipped rules load, every rule has a remediation, and requests parse")
    func shippedRules() throws {
        let shipped = try Self.shipped()
        #expect(shipped.rules.count >= 30)
        // Identification's conversations ask what the audit needs (Redis INFO, IRC registration).
        #expect(shipped.requests.isEmpty)
        #expect(shipped.rules.allSatisfy { !$0.remediation.isEmpty && !$0.title.isEmpty })
    }
}

/// Waiver files: selection, expiry, and line-numbered errors.
@Suite("Audit waivers")
struct WaiverTests {
    private func finding(rule: String = "r", host: String = "127.0.0.1", port: Int = 22) -> AuditFinding {
        AuditFinding(
            rule: rule, severity: .low, title: "t", message: "m", host: host, port: port,
            evidence: AuditEvidence(
                location: "banner", exchange: "banner", text: "x", base64: "eA==", offset: 0, length: 1, context: "x"),
            remediation: "fix", hideable: true,
            fingerprint: AuditFinding.fingerprint(rule: rule, host: host, port: port, place: "banner"))
    }

    @Test(
        "a signed year, month or day is no date (fuzz finding F1)",
        arguments: ["+027-03-31", "2027-+3-31", "2027-03-+1", "-027-03-31", " 027-03-31"])
    func signedExpiryDateIsRefused(date: String) {
        #expect(!Waivers.isDate(date))
        #expect(throws: WaiverFileError.self) { try Waivers(path: "w", text: "waive rule r expires \(date) reason x") }
    }

    @Test func selectionAndExpiry() throws {
        let target = finding()
        let waivers = try Waivers(
            path: "w",
            text: """
                waive rule r port 23 reason other port
                waive rule r host ::1 reason other host
                waive rule r expires 2026-11-21 reason expired yesterday
                waive fingerprint \(target.fingerprint) expires 2026-11-22 reason last day today
                """)
        let (applied, statuses) = waivers.apply(to: [target, finding(port: 23)], today: "2026-11-22")
        #expect(applied[0].waiver?.origin == "w:4")
        #expect(applied[0].waiver?.reason == "last day today")
        #expect(applied[1].waiver?.origin == "w:1")
        #expect(statuses.map(\.expired) == [false, false, true, false])
        #expect(statuses.map(\.matched) == [1, 0, 2, 1])
        #expect(statuses[2].selector == "rule r")
        let (later, _) = waivers.apply(to: [target], today: "2026-11-23")
        #expect(later[0].waiver == nil, "expired the day after its last day")
    }

    @Test(
        "bad waiver lines name the line",
        arguments: [
            ("allow 127.0.0.1", "expected 'waive'"),
            ("waive rule r", "a waiver needs 'reason TEXT'"),
            ("waive rule r reason", "a waiver needs 'reason TEXT'"),
            ("waive fingerprint ABCDEF0123456789 reason x", "16 lowercase hex digits"),
            ("waive fingerprint 0123456789abcdef port 22 reason x", "'port' and 'host' go with 'rule'"),
            ("waive port 22 reason x", "either 'fingerprint HEX' or 'rule ID'"),
            ("waive rule r port 0 reason x", "port must be 1-65535"),
            ("waive rule r host example.com reason x", "is not an IP address"),
            ("waive rule r expires 2027-13-01 reason x", "expires takes a date"),
            ("waive rule r colour red reason x", "unknown word 'colour'"),
        ])
    func badLines(line: String, message: String) {
        #expect {
            _ = try Waivers(path: "w.policy", text: "# comment\n\n" + line)
        } throws: { error in
            guard let error = error as? WaiverFileError else { return false }
            return error.line == 3 && error.message.contains(message)
                && error.description.hasPrefix("waivers w.policy:3: ")
        }
    }

    @Test func shippedExampleParses() throws {
        let waivers = try Waivers(contentsOf: CommandRunner.path("policies/audit-waivers.example"))
        #expect(waivers.waivers.count == 2)
        #expect(waivers.waivers[1].expires == "2027-03-31")
        #expect(waivers.waivers[1].reason == "vendor appliance, replacement ordered")
    }

    @Test func thresholds() {
        let low = finding()
        #expect(AuditThreshold("low")?.fails(low) == true)
        #expect(AuditThreshold("medium")?.fails(low) == false)
        #expect(AuditThreshold("none")?.fails(low) == false)
        #expect(AuditThreshold("bogus") == nil)
        var waived = low
        waived.waiver = AppliedWaiver(reason: "ok", origin: "w:1")
        #expect(AuditThreshold("info")?.fails(waived) == false)
    }
}
