import Foundation
import ReconTestSupport
import Testing

@testable import ReconCore

/// Every format's rendering of one fixed report (two hosts; open, closed, filtered and error
/// ports; a banner, an HTTP reply, a TLS session, audit findings) compared byte for byte with
/// the files in `Tests/golden/`. After an intended change, regenerate them with
/// `RECON_UPDATE_GOLDEN=1 swift test --filter GoldenFileTests` and review the diff.
@Suite("Golden files")
struct GoldenFileTests {
    /// The fixed report: a deterministic scan run through the library's report building and audit.
    static func fixedReport() throws -> (report: ScanReport, request: ScanRequest, header: RunInfo) {
        let policy = ScopePolicy.embeddedDefault(interfaceAddresses: [])
        let targets = try policy.authorize([
            ResolvedTarget(spec: "localhost", hostname: "localhost", addresses: [IPAddress("127.0.0.1")!]),
            ResolvedTarget(spec: "::1", hostname: nil, addresses: [IPAddress("::1")!]),
        ])
        let ports = try PortList(parsing: "20-25,80,443")
        let results: [[PortResult]] = [
            [
                PortResult(port: 20, state: .closed, reason: .connRefused, rttNanoseconds: 41_000),
                PortResult(port: 21, state: .closed, reason: .connRefused, rttNanoseconds: 39_000),
                PortResult(port: 22, state: .open, reason: .synAck, rttNanoseconds: 51_234),
                PortResult(port: 23, state: .filtered, reason: .noResponse, rttNanoseconds: nil, attempts: 3),
                PortResult(port: 24, state: .closed, reason: .connRefused, rttNanoseconds: 40_000),
                PortResult(port: 25, state: .closed, reason: .selfConnect, rttNanoseconds: 12_000, attempts: 3),
                PortResult(port: 80, state: .open, reason: .synAck, rttNanoseconds: 60_500),
                PortResult(port: 443, state: .open, reason: .synAck, rttNanoseconds: 70_250),
            ],
            [
                PortResult(port: 20, state: .closed, reason: .connRefused, rttNanoseconds: 30_000),
                PortResult(
                    port: 21, state: .error, reason: .localError, rttNanoseconds: nil, errno: EMFILE, attempts: 13),
            ],
        ]
        let listing = PortListing()
        let tallies = results.map { results in
            var tally = HostTally()
            for result in results { tally.record(result, listing: listing) }
            return tally
        }
        var estimator = RTTEstimator()
        estimator.add(51_234)
        estimator.add(60_500)
        let outcome = ScanOutcome(
            scanned: 10, total: 16, estimators: [estimator, RTTEstimator()], complete: false, stopSignal: SIGINT,
            localFailures: 13, threads: 1, concurrency: 16)
        let rules = try AuditRules.builtIn()
        let request = ScanRequest(
            plan: ScanPlan(targets: targets, ports: ports, policy: policy), options: ScanOptions(), listing: listing,
            audit: AuditPlan(rules: rules, waivers: Waivers(), threshold: .atLeast(.low)), version: "9.9.9",
            arguments: ["audit", "localhost", "::1", "20-25,80,443"], startedAt: 1_700_000_000.25)
        let context = ScanContext(
            version: "9.9.9", arguments: request.arguments, policySources: policy.sources, ports: ports,
            options: ScanOptions(), startedAt: 1_700_000_000.25, endedAt: 1_700_000_003.5, listing: listing)
        var report = ReportBuilder.build(
            targets: targets, tallies: tallies, outcome: outcome, services: [Self.services, [:]], context: context)
        let audited = Auditor(rules: rules).audit(report, shouldStop: { false })
        report.findings = audited.findings
        report.audit = AuditSummary(rules: rules, threshold: .atLeast(.low), findings: audited.findings, waivers: [])
        var start = context
        start.endedAt = context.startedAt
        return (report, request, ReportBuilder.runInfo(outcome: nil, layout: (1, 16), context: start))
    }

    /// What probing found on the first host's open ports.
    static let services: [UInt16: PortService] = {
        let banner = Array("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n".utf8)
        let http = Array(
            ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 47\r\n\r\n"
                + "<html><title>Welcome \u{1B}[31m</title></html>\r\n").utf8)
        var ssh = PortService(banner: CapturedBytes(banner, truncated: false))
        ssh.service = ServiceMatch(
            name: "ssh", product: "OpenSSH", version: "9.2p1", info: "Debian 2+deb12u3",
            cpe: ["cpe:/a:openbsd:openssh:9.2p1"], method: .banner, confidence: 10, probe: ProbeName.banner)
        var web = PortService(
            probes: [
                ProbeExchange(probe: ProbeName.http, reply: CapturedBytes(http, truncated: false), ended: .complete)
            ],
            http: HTTPResponse.parse(http))
        web.service = ServiceMatch(
            name: "http", product: "nginx", version: "1.22.1", method: .probe, confidence: 10, probe: ProbeName.http)
        var tls = PortService(
            tls: TLSInfo(
                version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", subject: "CN=recon-test.local",
                issuer: "CN=recon-test.local", subjectAlternativeNames: ["recon-test.local", "127.0.0.1"],
                notBefore: "2026-01-01T00:00:00.000Z", notAfter: "2027-01-01T00:00:00.000Z"))
        tls.service = ServiceMatch(name: "https", method: .portTable, confidence: 3, tunnel: .ssl)
        return [22: ssh, 80: web, 443: tls]
    }()

    /// Each format's bytes for the fixed report, by golden file name.
    static func renderings() async throws -> [(name: String, bytes: [UInt8])] {
        let (report, request, header) = try fixedReport()
        var renderings: [(name: String, bytes: [UInt8])] = []
        for format in ReportFormat.allCases {
            let output = MemoryOutput()
            let sink = format.sink(to: output, request: request)
            await sink.begin(run: header, targets: request.plan.targets)
            for (index, host) in report.hosts.enumerated() {
                for entry in host.ports { sink.port(index, entry) }
            }
            await sink.end(report)
            renderings.append(("report.\(format.rawValue == "table" ? "txt" : format.rawValue)", output.bytes))
        }
        return renderings
    }

    @Test func goldenJSONFollowsTheSchema() async throws {
        let renderings = try await Self.renderings()
        let json = try #require(renderings.first { $0.name == "report.json" }).bytes
        #expect(try CommandRunner.schemaViolation(json: String(decoding: json, as: UTF8.self)) == nil)
        let lines = String(decoding: try #require(renderings.first { $0.name == "report.jsonl" }).bytes, as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(try CommandRunner.schemaViolation(json: lines[0], definition: "startRecord") == nil)
        let ports = lines.dropFirst().filter { $0.contains(#""type":"port""#) }.joined(separator: "\n")
        #expect(try CommandRunner.schemaViolation(json: ports, definition: "portRecord") == nil)
        #expect(try CommandRunner.schemaViolation(json: lines.last!, definition: "endRecord") == nil)
    }

    @Test(arguments: ReportFormat.allCases)
    func renderingMatchesItsGoldenFile(format: ReportFormat) async throws {
        let name = "report.\(format.rawValue == "table" ? "txt" : format.rawValue)"
        let rendered = try #require(try await Self.renderings().first { $0.name == name }).bytes
        let path = CommandRunner.path("Tests/golden/\(name)")
        if ProcessInfo.processInfo.environment["RECON_UPDATE_GOLDEN"] == "1" {
            try Data(rendered).write(to: URL(fileURLWithPath: path))
        }
        let golden = try #require(FileManager.default.contents(atPath: path), "missing \(path): regenerate it")
        #expect(
            String(decoding: rendered, as: UTF8.self) == String(decoding: golden, as: UTF8.self),
            "\(name) differs from Tests/golden/\(name); if intended: RECON_UPDATE_GOLDEN=1 swift test --filter GoldenFileTests"
        )
    }
}
