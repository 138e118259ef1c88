import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// `recon audit` and `recon scan --audit` against services that disclose versions and their
/// hardened twins (Tests/fixtures/hostile.py), end to end: findings, exit codes, waivers,
/// JSON, JSON Lines, SARIF and the table.
@Suite("Banner-suppression audit, end to end")
struct AuditTests {
    static let stockModes = ["webapp", "irc", "dns", "mysql", "proftpd", "exim", "tls-widgits", "banner"]
    static let hardenedModes = [
        "webapp-hardened", "irc-hardened", "dns-hardened", "mysql-hardened", "proftpd-hardened", "exim-hardened",
    ]

    /// The rules each stock service must trigger (hideable low findings unless noted).
    static let expectedStock: [String: Set<String>] = [
        "webapp": [
            "python-server-version", "php-version", "aspnet-version", "aspnetmvc-version", "x-generator-version",
            "squid-via-version", "tomcat-error-page-version",
        ],
        "irc": ["irc-version"], "dns": ["dns-version-bind"], "mysql": ["mysql-version"],
        "proftpd": ["proftpd-version"], "exim": ["exim-version"],
        "tls-widgits": ["http-header-version", "tls-cert-openssl-default"], "banner": ["openssh-distribution"],
    ]

    @Test func stockServicesDiscloseAndFailTheRun() throws {
        let services = try HostileServices(Self.stockModes)
        let result = try CommandRunner.recon([
            "audit", "127.0.0.1", services.portList(Self.stockModes), "--banner-timeout", "4s", "--format", "json",
        ])
        #expect(result.status == 6, "\(result.stderr)")
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try result.report()
        let findings = try #require(report.findings)
        for (mode, rules) in Self.expectedStock {
            let port = Int(services.ports[mode]!)
            let found = Set(findings.filter { $0.port == port }.map(\.rule))
            #expect(rules.isSubset(of: found), "\(mode): expected \(rules), found \(found)")
        }
        let openssh = try #require(findings.first { $0.rule == "openssh-distribution" })
        #expect(openssh.evidence.text == "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3")
        #expect(openssh.evidence.location == "banner")
        #expect(openssh.service == "ssh")
        #expect(openssh.remediation.contains("DebianBanner no"))
        #expect(Data(base64Encoded: openssh.evidence.base64) == Data(openssh.evidence.text.utf8))
        let tomcat = try #require(findings.first { $0.rule == "tomcat-error-page-version" })
        #expect(tomcat.evidence.request == "GET /.recon-audit-not-found")
        #expect(tomcat.evidence.exchange == "http-error-page")
        let irc = try #require(findings.first { $0.rule == "irc-version" })
        #expect(irc.evidence.location == "reply irc-register")
        #expect(!irc.hideable)
        let audit = try #require(report.audit)
        #expect(audit.failed)
        #expect(audit.failOn == "low")
        #expect(audit.failing == findings.filter { $0.severity >= .low && $0.hideable && $0.waiver == nil }.count)
        #expect(findings.allSatisfy { !$0.message.lowercased().contains("vulnerab") })
    }

    @Test func hardenedServicesPass() throws {
        let services = try HostileServices(Self.hardenedModes)
        let result = try CommandRunner.recon([
            "audit", "127.0.0.1", services.portList(Self.hardenedModes), "--banner-timeout", "4s", "--format",
            "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try result.report()
        let flagged = (report.findings ?? []).filter { $0.severity > .info }
        #expect(flagged.isEmpty, "\(flagged.map { "\($0.port) \($0.rule): \($0.evidence.text)" })")
        // The DNS server was identified and asked for version.bind: it refused.
        let dns = try #require(report.port(services.ports["dns-hardened"]!))
        #expect(dns.probes?.contains { $0.probe == "dns-version-bind" && $0.reply != nil } == true)
        // The hardened web app still names its products: informational, and --fail-on info fails on them.
        #expect(report.findings?.contains { $0.rule == "http-header-product" && $0.evidence.text == "Express" } == true)
        let strict = try CommandRunner.recon([
            "scan", "--audit", "--fail-on", "info", "127.0.0.1", String(services.ports["webapp-hardened"]!),
        ])
        #expect(strict.status == 6, "\(strict.stderr)")
    }

    @Test func waiversSilenceFindingsUntilTheyExpire() throws {
        let modes = ["banner", "proftpd", "exim"]
        let services = try HostileServices(modes)
        let ports = services.portList(modes)
        let first = try CommandRunner.recon(["audit", "127.0.0.1", ports, "--format", "json"]).report()
        let ssh = try #require(first.findings?.first { $0.rule == "openssh-distribution" })
        let proftpdPort = services.ports["proftpd"]!
        let text = """
            # accepted findings
            waive fingerprint \(ssh.fingerprint) reason lab box # replaced in Q1
            waive rule proftpd-version port \(proftpdPort) host 127.0.0.1 expires 2099-12-31 reason vendor appliance
            waive rule exim-version expires 2020-01-01 reason old exception
            waive rule nothing-matches reason unused
            """
        try withTemporaryFile(text) { waivers in
            let result = try CommandRunner.recon([
                "audit", "127.0.0.1", ports, "--format", "json", "--waivers", waivers,
            ])
            #expect(result.status == 6, "the expired exim waiver no longer applies")
            #expect(result.stderr.contains("waiver \(waivers):4 expired on 2020-01-01; it no longer applies"))
            let report = try result.report()
            #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
            let findings = try #require(report.findings)
            #expect(findings.first { $0.rule == "openssh-distribution" }?.waiver?.reason == "lab box")
            #expect(findings.first { $0.rule == "openssh-distribution" }?.fingerprint == ssh.fingerprint, "stable")
            #expect(findings.first { $0.rule == "proftpd-version" }?.waiver?.expires == "2099-12-31")
            #expect(findings.first { $0.rule == "exim-version" }?.waiver == nil)
            let audit = try #require(report.audit)
            #expect(audit.failing == 1)
            #expect(audit.waived == 2)
            #expect(audit.waivers.map(\.expired) == [false, false, true, false])
            #expect(audit.waivers.map(\.matched) == [1, 1, 1, 0])

            // SARIF: valid against the OASIS schema, waived findings as accepted suppressions.
            let sarif = try CommandRunner.recon([
                "audit", "127.0.0.1", ports, "--format", "sarif", "--waivers", waivers,
            ])
            #expect(sarif.status == 6)
            #expect(try CommandRunner.sarifViolation(json: sarif.stdout) == nil)
            let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
            #expect(log["version"] as? String == "2.1.0")
            let run = try #require((log["runs"] as? [[String: Any]])?.first)
            let results = try #require(run["results"] as? [[String: Any]])
            #expect(results.count == findings.count)
            let sshResult = try #require(results.first { $0["ruleId"] as? String == "openssh-distribution" })
            #expect((sshResult["partialFingerprints"] as? [String: String])?.values.first == ssh.fingerprint)
            #expect((sshResult["suppressions"] as? [[String: Any]])?.first?["status"] as? String == "accepted")
            let rules = try #require(
                ((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
            #expect(Set(rules.compactMap { $0["id"] as? String }) == Set(findings.map(\.rule)))

            // Waive the exim finding too, within its date: a clean run exits 0.
            try withTemporaryFile(text.replacingOccurrences(of: "2020-01-01", with: "2099-01-01")) { all throws in
                #expect(try CommandRunner.recon(["audit", "127.0.0.1", ports, "--waivers", all]).status == 0)
            }
        }
        #expect(try CommandRunner.recon(["audit", "127.0.0.1", ports, "--fail-on", "none"]).status == 0)
        #expect(try CommandRunner.recon(["audit", "127.0.0.1", ports, "--fail-on", "high"]).status == 0)
    }

    @Test func jsonLinesAndTableCarryTheFindings() throws {
        let services = try HostileServices(["banner", "exim"])
        let ports = services.portList(["banner", "exim"])
        let jsonl = try CommandRunner.recon(["scan", "--audit", "127.0.0.1", ports, "--format", "jsonl"])
        #expect(jsonl.status == 6, "\(jsonl.stderr)")
        let lines = jsonl.lines
        let findingLines = lines.filter { $0.contains("\"type\":\"finding\"") }
        #expect(findingLines.count == 2)
        #expect(
            try CommandRunner.schemaViolation(json: findingLines.joined(separator: "\n"), definition: "findingRecord")
                == nil)
        #expect(try CommandRunner.schemaViolation(json: lines.last!, definition: "endRecord") == nil)
        #expect(lines.last!.contains("\"failed\":true"))

        let table = try CommandRunner.recon(["audit", "127.0.0.1", ports])
        #expect(table.status == 6)
        #expect(table.stdout.contains("Audit: 2 findings (low 2); fail-on low: FAIL (2 findings)"))
        #expect(table.stdout.contains("seen:  banner: \"220 mail.recon.test ESMTP Exim 4.96\""))
        #expect(table.stdout.contains("fix:   Exim: `smtp_banner"))
    }

    @Test(
        "bad audit input: one line, exit 2, before any scan",
        arguments: [
            (["audit", "127.0.0.1", "22", "--fail-on", "severe"], "--fail-on takes info, low, medium, high or none"),
            (["scan", "127.0.0.1", "22", "--format", "sarif"], "--format sarif needs --audit"),
            (["scan", "127.0.0.1", "22", "--fail-on", "low"], "need --audit"),
            (["audit", "127.0.0.1", "22", "--waivers", "/nonexistent/w"], "waivers /nonexistent/w: cannot read"),
            (["audit", "127.0.0.1", "22", "--audit-rules", "/nonexistent/r"], "/nonexistent/r: cannot read"),
        ])
    func badInput(arguments: [String], message: String) throws {
        let result = try CommandRunner.recon(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.isEmpty)
    }

    @Test func badWaiverAndRulesFilesNameTheLine() throws {
        try withTemporaryFile("waive rule a reason ok\nwaive rule b expires 2026-02-30 reason x\n") { waivers in
            let badWaiver = try CommandRunner.recon(["audit", "127.0.0.1", "22", "--waivers", waivers])
            #expect(badWaiver.status == 2)
            #expect(
                badWaiver.stderr == "recon: waivers \(waivers):2: expires takes a date YYYY-MM-DD, not '2026-02-30'\n")
        }
        try withTemporaryFile("rule extra\n  severity low\n  inspect banner\n  match m|(|\n") { rules in
            let badRules = try CommandRunner.recon(["audit", "127.0.0.1", "22", "--audit-rules", rules])
            #expect(badRules.status == 2)
            #expect(badRules.stderr.hasPrefix("recon: \(rules):4: regex does not compile"))
        }
    }
}
