import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// Services whose replies make a backtracking regex run for minutes, and rules that do the same
/// on any reply (Tests/fixtures/hostile.py: http-dotted, http-server-at, dashes, a50): every
/// run ends within the banner timeout plus a few seconds, with the other ports' results intact.
@Suite("Bounded matching, end to end")
struct RegexBudgetTests {
    static let bannerTimeout = 2.0
    /// Scanning, probing and writing the report on top of the banner timeout, on a debug build.
    static let slack = 3.0

    /// Runs recon and measures how long it took; it is killed after the allowed time.
    private func timedRecon(_ arguments: [String]) throws -> (CommandResult, Double) {
        let start = ContinuousClock.now
        let result = try CommandRunner.recon(
            arguments + ["--banner-timeout", "\(Int(Self.bannerTimeout))s"],
            timeout: Self.bannerTimeout + Self.slack + 5)
        let elapsed = ContinuousClock.now - start
        return (result, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    @Test func regexHostileRepliesDoNotStallAuditOrScan() throws {
        let modes = ["http-dotted", "http-server-at", "dashes", "exim", "banner"]
        let services = try HostileServices(modes)
        let ports = services.portList(modes)

        let (audit, auditTime) = try timedRecon(["audit", "127.0.0.1", ports, "--format", "json"])
        #expect(auditTime < Self.bannerTimeout + Self.slack, "audit took \(auditTime) s")
        #expect(audit.status == 6, "\(audit.stderr)")
        #expect(!audit.stderr.contains("matching"), "the shipped rules stay within budget: \(audit.stderr)")
        let report = try audit.report()
        let findings = try #require(report.findings)
        let rulesByPort = Dictionary(grouping: findings, by: \.port).mapValues { Set($0.map(\.rule)) }
        #expect(rulesByPort[Int(services.ports["exim"]!)]?.contains("exim-version") == true)
        #expect(rulesByPort[Int(services.ports["banner"]!)]?.contains("openssh-distribution") == true)
        #expect(report.port(services.ports["http-dotted"]!)?.service?.name == "http")
        #expect(report.port(services.ports["http-server-at"]!)?.service?.name == "http")
        let errorPage = report.port(services.ports["http-server-at"]!)?.probes?.first {
            $0.probe == AuditRequest.errorPageProbe
        }
        #expect(errorPage?.reply?.length ?? 0 > 60_000, "the 404 page was read and matched")

        let (scan, scanTime) = try timedRecon(["scan", "--banner", "--http", "127.0.0.1", ports, "--format", "json"])
        #expect(scanTime < Self.bannerTimeout + Self.slack, "scan took \(scanTime) s")
        #expect(scan.status == 0, "\(scan.stderr)")
        let scanned = try scan.report()
        #expect(scanned.port(services.ports["exim"]!)?.service?.product == "Exim smtpd")
        #expect(scanned.port(services.ports["banner"]!)?.service?.product == "OpenSSH")
        #expect(scanned.port(services.ports["dashes"]!)?.banner?.length == 4096)
        #expect(scanned.port(services.ports["http-dotted"]!)?.service?.name == "http")
    }

    @Test func ruleOverItsBudgetIsReportedOnceAndTheScanGoesOn() throws {
        let modes = ["a50", "exim", "banner"]
        let services = try HostileServices(modes)
        let ports = services.portList(modes)
        let slowPort = services.ports["a50"]!
        let auditRules = """
            rule slow
              severity low
              inspect banner
              match m|(a?){50}a{50}|
              title a rule that backtracks for minutes
              remediation none
            """
        try withTemporaryFile(auditRules) { rules in
            let (result, elapsed) = try timedRecon(["audit", "127.0.0.1", ports, "--audit-rules", rules])
            #expect(elapsed < Self.bannerTimeout + Self.slack, "audit took \(elapsed) s")
            #expect(result.status == 6, "\(result.stderr)")
            #expect(
                result.stderr
                    == "recon: audit rule slow exceeded its matching budget at 127.0.0.1:\(slowPort) (banner); skipped\n"
            )
            #expect(result.stdout.contains("exim-version"))
            #expect(result.stdout.contains("openssh-distribution"))
        }
        try withTemporaryFile("probe banner\nmatch slow m|(a?){50}a{50}| p/never/\n") { rules in
            let (result, elapsed) = try timedRecon(["scan", "--banner", "--rules", rules, "127.0.0.1", ports])
            #expect(elapsed < Self.bannerTimeout + Self.slack, "scan took \(elapsed) s")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(
                result.stderr
                    == "recon: service rule \(rules):2 exceeded its matching budget at 127.0.0.1:\(slowPort) (banner); "
                    + "skipped\n")
            #expect(result.stdout.contains("Exim smtpd 4.96"))
            #expect(result.stdout.contains("OpenSSH 9.2p1"))
        }
    }
}
