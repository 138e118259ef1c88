import Foundation
import ReconTestSupport
import Testing

@testable import ReconCore

/// `ScanDiff` on hand-made reports: what counts as a change, what is only "not compared", and
/// how reports of schema v1 (every port listed) and v2 (closed ports as ranges) meet.
@Suite("Scan diff")
struct DiffTests {
    /// A report of one or more hosts over `ports`; each host's listed entries and closed ranges.
    static func report(
        ports: String = "1-100", complete: Bool = true, schema: String = ScanReport.schemaIdentifier,
        hosts: [(address: String, listed: [PortEntry], closed: String?)], findings: [AuditFinding]? = nil
    ) -> ScanReport {
        let run = RunInfo(
            tool: "recon", version: "0.1.0", arguments: ["scan"], started: "2026-11-22T10:00:00.000Z",
            ended: "2026-11-22T10:00:01.000Z", elapsedSeconds: 1, complete: complete,
            interruptedBy: complete ? nil : "SIGINT", ports: ports,
            portCount: (try? PortList(parsing: ports).ports.count) ?? 0, policy: ["embedded default"],
            options: RunOptions(timeoutMode: "adaptive", retries: 2, concurrency: 16, threads: 1), localFailures: 0)
        let hostReports = hosts.map { host in
            let closed = host.closed.map { text in
                let ranges = PortRanges(try! PortList(parsing: text).ports)
                return PortSummary(count: ranges.count, reasons: ["conn-refused": ranges.count], ports: ranges)
            }
            return HostReport(
                address: host.address, family: "ipv4", hostname: nil, scopeRule: "allow 127.0.0.0/8",
                ports: host.listed.sorted { $0.port < $1.port }, closed: closed, summary: StateCounts(),
                timing: HostTiming(srttMs: nil, rttvarMs: nil, timeoutMs: 100))
        }
        return ScanReport(schema: schema, run: run, hosts: hostReports, summary: StateCounts(), findings: findings)
    }

    static func entry(
        _ port: UInt16, _ state: PortState = .open, reason: PortReason? = nil, service: ServiceMatch? = nil,
        banner: String? = nil
    ) -> PortEntry {
        let reasons: [PortState: PortReason] = [
            .open: .synAck, .closed: .connRefused, .filtered: .noResponse, .error: .localError,
        ]
        var details: PortService?
        if service != nil || banner != nil {
            details = PortService(
                banner: banner.map { CapturedBytes(Array($0.utf8), truncated: false) }, service: service)
        }
        return PortEntry(
            PortResult(port: port, state: state, reason: reason ?? reasons[state]!, rttNanoseconds: 1000),
            service: details)
    }

    static func ssh(_ version: String) -> ServiceMatch {
        ServiceMatch(name: "ssh", product: "OpenSSH", version: version, method: .banner, confidence: 10)
    }

    static func finding(_ rule: String, port: Int, host: String = "127.0.0.1") -> AuditFinding {
        AuditFinding(
            rule: rule, severity: .low, title: rule, message: "\(rule) disclosed", host: host, hostname: nil,
            port: port, service: "ssh",
            evidence: AuditEvidence(
                location: "banner", exchange: "banner", request: nil, text: "x", base64: "eA==", offset: 0, length: 1,
                context: "x"),
            remediation: "hide it", hideable: true,
            fingerprint: AuditFinding.fingerprint(rule: rule, host: host, port: port, place: "banner"), waiver: nil)
    }

    static func diff(_ old: ScanReport, _ new: ScanReport) -> ScanDiff {
        ScanDiff(old: DiffOperand(file: "old.json", report: old), new: DiffOperand(file: "new.json", report: new))
    }

    @Test func identicalReportsHaveNoChanges() {
        let report = Self.report(hosts: [("127.0.0.1", [Self.entry(22, service: Self.ssh("9.2p1"))], "1-21,23-100")])
        let diff = Self.diff(report, report)
        #expect(!diff.changed)
        #expect(diff.changes.isEmpty)
        #expect(diff.notCompared.isEmpty)
        #expect(diff.summary.total == 0)
    }

    @Test func portsThatOpenedClosedOrChangedStateOrService() {
        let old = Self.report(hosts: [
            (
                "127.0.0.1",
                [
                    Self.entry(10), Self.entry(22, service: Self.ssh("9.2p1"), banner: "SSH-2.0-OpenSSH_9.2p1\r\n"),
                    Self.entry(30), Self.entry(40, .filtered),
                ], "1-9,11-21,23-29,31-39,41-100"
            )
        ])
        let new = Self.report(hosts: [
            (
                "127.0.0.1",
                [
                    Self.entry(22, service: Self.ssh("9.3p1"), banner: "SSH-2.0-OpenSSH_9.3p1\r\n"), Self.entry(30),
                    Self.entry(50), Self.entry(60, .filtered),
                ], "1-21,23-29,31-49,51-59,61-100"
            )
        ])
        let diff = Self.diff(old, new)
        #expect(diff.changed)
        let kinds = diff.changes.map { "\($0.kind.rawValue) \($0.port)" }
        #expect(kinds == ["port-closed 10", "service-changed 22", "port-state 40", "port-opened 50", "port-state 60"])
        let closed = diff.changes.first { $0.port == 10 }
        #expect(closed?.kind == .portClosed)
        #expect(closed?.old?.state == "open" && closed?.new?.state == "closed" && closed?.new?.reason == "conn-refused")
        // 40: filtered before, closed now: neither open, another state.
        #expect(diff.changes.first { $0.port == 40 }?.kind == .portState)
        #expect(diff.changes.first { $0.port == 60 }?.new?.state == "filtered")
        let service = diff.changes.first { $0.port == 22 }
        #expect(service?.fields?.map(\.field) == ["version", "banner"])
        #expect(service?.fields?.first?.old == .text("9.2p1"))
        #expect(service?.fields?.first?.new == .text("9.3p1"))
        #expect(diff.summary.opened == 1 && diff.summary.closed == 1 && diff.summary.serviceChanged == 1)
        #expect(diff.summary.stateChanged == 2 && diff.summary.total == 5)
    }

    @Test func portsOnlyOneScanCoveredAreNotChanges() {
        let old = Self.report(
            ports: "1-100", hosts: [("127.0.0.1", [Self.entry(22)], "1-21,23-100"), ("127.0.0.2", [], "1-100")])
        let new = Self.report(
            ports: "1-200", hosts: [("127.0.0.1", [Self.entry(22), Self.entry(150)], "1-21,23-149,151-200")])
        let diff = Self.diff(old, new)
        #expect(!diff.changed, "\(diff.changes)")
        #expect(
            diff.notCompared == [
                UncomparedPorts(host: "127.0.0.1", onlyIn: "new", ports: PortRanges(101...200)),
                UncomparedPorts(host: "127.0.0.2", onlyIn: "old", ports: PortRanges(1...100)),
            ])
    }

    @Test func anInterruptedScanIsComparedOnlyWhereItGotResults() {
        // The old scan stopped after port 50: 51-100 were not reached, so 80 opening is not a change.
        let old = Self.report(complete: false, hosts: [("127.0.0.1", [Self.entry(22)], "1-21,23-50")])
        let new = Self.report(hosts: [("127.0.0.1", [Self.entry(22), Self.entry(80)], "1-21,23-79,81-100")])
        let diff = Self.diff(old, new)
        #expect(!diff.changed)
        #expect(diff.notCompared.map(\.ports) == ["51-100"])
    }

    @Test func versionOneReportsListEveryPortAndCompareWithVersionTwo() throws {
        let closed = (1...100).filter { $0 != 22 }.map { Self.entry(UInt16($0), .closed) }
        let v1 = Self.report(schema: "recon-scan/1", hosts: [("127.0.0.1", closed + [Self.entry(22)], nil)])
        let v2 = Self.report(hosts: [("127.0.0.1", [Self.entry(22)], "1-21,23-100")])
        #expect(!Self.diff(v1, v2).changed)
        #expect(!Self.diff(v2, v1).changed)
        // And a v1 document decodes through the report file reader.
        let bytes = Array(try JSONEncoder().encode(v1))
        let read = try ReportFile.decode(bytes, path: "v1.json", decoders: [ReconJSONDecoder()])
        #expect(read.schema == "recon-scan/1")
        #expect(read.hosts[0].ports.count == 100)
    }

    @Test func openOnlyReportsDoNotTurnUnlistedPortsIntoChanges() {
        // `--open`: filtered and error ports are neither listed nor summarised.
        let full = Self.report(hosts: [("127.0.0.1", [Self.entry(22), Self.entry(23, .filtered)], "1-21,24-100")])
        let openOnly = Self.report(hosts: [("127.0.0.1", [Self.entry(22)], "1-21,24-100")])
        #expect(!Self.diff(full, openOnly).changed)
        #expect(!Self.diff(openOnly, full).changed)
    }

    @Test func findingsThatAppearedOrWentAway() {
        let ports = [Self.entry(22), Self.entry(80)]
        let old = Self.report(
            hosts: [("127.0.0.1", ports, "1-21,23-79,81-100")],
            findings: [Self.finding("openssh-distribution", port: 22), Self.finding("nginx-version", port: 80)])
        let new = Self.report(
            hosts: [("127.0.0.1", ports, "1-21,23-79,81-100")],
            findings: [Self.finding("openssh-distribution", port: 22), Self.finding("php-version", port: 80)])
        let diff = Self.diff(old, new)
        #expect(diff.findingsCompared)
        #expect(diff.changes.map(\.kind) == [.findingNew, .findingGone])
        #expect(diff.changes.map { $0.finding?.rule } == ["php-version", "nginx-version"])
        // Against a plain scan, findings are not compared.
        let plain = Self.report(hosts: [("127.0.0.1", ports, "1-21,23-79,81-100")])
        #expect(!Self.diff(plain, new).findingsCompared)
        #expect(!Self.diff(plain, new).changed)
    }

    @Test func servicesAreComparedOnlyWhenBothScansProbed() {
        let probed = Self.report(hosts: [("127.0.0.1", [Self.entry(22, service: Self.ssh("9.2p1"))], "1-21,23-100")])
        let plain = Self.report(hosts: [("127.0.0.1", [Self.entry(22)], "1-21,23-100")])
        #expect(!Self.diff(plain, probed).changed)
    }

    @Test func renderingsFollowTheSchema() throws {
        let old = Self.report(hosts: [
            ("127.0.0.1", [Self.entry(22, service: Self.ssh("9.2p1"), banner: "a\u{1}")], nil)
        ])
        let new = Self.report(
            hosts: [("127.0.0.1", [Self.entry(22, service: Self.ssh("9.3p1"), banner: "b"), Self.entry(23)], nil)])
        let diff = Self.diff(old, new)
        let json = String(decoding: DiffRendering().render(diff, as: .json), as: UTF8.self)
        #expect(try CommandRunner.schemaViolation(json: json, schema: "schema/recon-diff-v1.schema.json") == nil)
        #expect(try JSONDecoder().decode(ScanDiff.self, from: Data(json.utf8)) == diff)
        let lines = String(decoding: DiffRendering().render(diff, as: .jsonl), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        for (line, definition) in zip(lines, ["startRecord", "changeRecord", "changeRecord", "endRecord"]) {
            #expect(
                try CommandRunner.schemaViolation(
                    json: line, definition: definition, schema: "schema/recon-diff-v1.schema.json") == nil, "\(line)")
        }
        let table = DiffRendering().table(diff)
        #expect(table.contains(#"~22/tcp     version 9.2p1 -> 9.3p1; banner "a\x01" -> "b""#), "\(table)")
        #expect(table.contains("+23/tcp     open (syn-ack), was unlisted"))
        #expect(table.hasSuffix("2 changes: 1 opened, 1 service changed\n"))
    }

    /// Without a decoder for it (ReconCore reads only JSON; nmap XML is `ReconNmapXML`'s), a format
    /// is refused by name; a JSON schema recon does not know is refused too.
    @Test func unknownFormatsAndSchemasAreRefusedClearly() {
        do {
            _ = try ReportFile.decode(
                Array("<?xml version=\"1.0\"?><nmaprun/>".utf8), path: "scan.xml", decoders: [ReconJSONDecoder()])
            Issue.record("XML was accepted by the JSON decoder")
        } catch {
            #expect(error.description == "scan.xml: not a recon JSON report (recon-scan/1 or recon-scan/2)")
        }
        do {
            _ = try ReportFile.decode(
                Array(#"{"schema":"recon-scan/9"}"#.utf8), path: "x.json", decoders: [ReconJSONDecoder()])
            Issue.record("a schema this recon does not know was accepted")
        } catch {
            #expect(
                error.description
                    == "x.json: schema 'recon-scan/9' is not recon-scan/1 or recon-scan/2 (a recon JSON report)")
        }
    }

    @Test func portRangeSetOperations() {
        let a = PortRanges(ranges: [1...10, 20...30, 65530...65535])
        let b = PortRanges(ranges: [5...25, 65535...65535])
        #expect(a.intersection(b).description == "5-10,20-25,65535")
        #expect(a.subtracting(b).description == "1-4,26-30,65530-65534")
        #expect(b.subtracting(a).description == "11-19")
        #expect(a.union(b).description == "1-30,65530-65535")
        #expect(PortRanges(ranges: [3...4, 1...2]).ranges == [1...4])
        #expect(a.subtracting(PortRanges()).description == a.description)
        // Checked against plain sets on a spread of ranges.
        let x = PortRanges(ranges: [1...1, 3...9, 12...40, 100...100])
        let y = PortRanges(ranges: [2...3, 9...12, 40...99])
        let (setX, setY) = (Set(x.ports), Set(y.ports))
        #expect(Set(x.intersection(y).ports) == setX.intersection(setY))
        #expect(Set(x.subtracting(y).ports) == setX.subtracting(setY))
        #expect(Set(x.union(y).ports) == setX.union(setY))
    }
}
