/// Where a sink's bytes go: a file or standard output (the executable's), or memory in tests.
/// Writes from several threads must not interleave.
public protocol ReportOutput: Sendable {
    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8])
}

/// One output format (or the store), fed as the scan goes: the run header first, then each
/// listed port once it is final (with what probing and capture found), then the finished report.
/// A sink keeps only what its format needs; `port` may be called from several threads at once.
/// `begin` and `end` may wait (a database write); sinks get them in order, one after the other.
public protocol ReportSink: Sendable {
    /// The scan is about to start on `targets`.
    func begin(run: RunInfo, targets: [AuthorizedTarget]) async
    /// A listed port of host `host` (index into the targets), final.
    func port(_ host: Int, _ entry: PortEntry)
    /// The scan is over (complete or not): `report` holds the listed ports, summaries and findings.
    func end(_ report: ScanReport) async
}

extension ReportSink {
    public func begin(run: RunInfo, targets: [AuthorizedTarget]) async {}
    public func port(_ host: Int, _ entry: PortEntry) {}
}

/// recon's output formats.
public enum ReportFormat: String, Sendable, CaseIterable {
    case table, json, jsonl, sarif, xml, list

    /// The sink writing this format of `request`'s scan to `output`; a table as `table` says.
    public func sink(to output: any ReportOutput, request: ScanRequest, table: TableRendering = TableRendering())
        -> any ReportSink
    {
        switch self {
        case .table: TableSink(output: output, rendering: table)
        case .json: JSONSink(output: output)
        case .jsonl: JSONLinesSink(output: output, targets: request.plan.targets)
        case .sarif: SARIFSink(output: output, rules: request.audit?.rules ?? AuditRules())
        case .xml: NmapXMLSink(output: output)
        case .list: OpenPortListSink(output: output, targets: request.plan.targets)
        }
    }
}

/// The readable table, written when the scan ends.
public struct TableSink: ReportSink {
    let output: any ReportOutput
    let rendering: TableRendering

    public init(output: any ReportOutput, rendering: TableRendering = TableRendering()) {
        self.output = output
        self.rendering = rendering
    }

    public func end(_ report: ScanReport) {
        output.write(Array(rendering.render(report).utf8))
    }
}

/// One JSON document (`recon-scan/2`), written host by host when the scan ends, so an
/// interrupted scan still leaves a valid document.
public struct JSONSink: ReportSink {
    let output: any ReportOutput
    let json = JSONRendering()

    public init(output: any ReportOutput) {
        self.output = output
    }

    public func end(_ report: ScanReport) {
        json.writeDocument(report, to: output)
    }
}

/// JSON Lines: the start record, a record per listed port as soon as it is final, the findings,
/// and the end record with each host's counts and closed-port summary.
public struct JSONLinesSink: ReportSink {
    let output: any ReportOutput
    let json = JSONRendering()
    /// Each target's address as text, made once rather than for every port.
    private let addresses: [String]
    private let hostnames: [String?]

    public init(output: any ReportOutput, targets: [AuthorizedTarget]) {
        self.output = output
        addresses = targets.map(\.address.description)
        hostnames = targets.map(\.hostname)
    }

    public func begin(run: RunInfo, targets: [AuthorizedTarget]) {
        output.write(json.line(StartRecord(run: run, targets: targets)))
    }

    public func port(_ host: Int, _ entry: PortEntry) {
        output.write(json.line(PortRecord(address: addresses[host], hostname: hostnames[host], entry: entry)))
    }

    public func end(_ report: ScanReport) {
        for finding in report.findings ?? [] { output.write(json.line(FindingRecord(finding))) }
        output.write(json.line(EndRecord(report: report)))
    }
}

/// `host:port` of every open port, one a line, as soon as each is final (for pipes: what naabu
/// prints); IPv6 addresses in brackets.
public struct OpenPortListSink: ReportSink {
    let output: any ReportOutput
    private let hosts: [String]

    public init(output: any ReportOutput, targets: [AuthorizedTarget]) {
        self.output = output
        hosts = targets.map { $0.address.isIPv4 ? $0.address.description : "[\($0.address)]" }
    }

    public func port(_ host: Int, _ entry: PortEntry) {
        guard entry.state == .open else { return }
        output.write(Array("\(hosts[host]):\(entry.port)\n".utf8))
    }

    public func end(_ report: ScanReport) {}
}

/// SARIF 2.1.0 of an audit's findings, written when the scan ends.
public struct SARIFSink: ReportSink {
    let output: any ReportOutput
    let rules: AuditRules

    public init(output: any ReportOutput, rules: AuditRules) {
        self.output = output
        self.rules = rules
    }

    public func end(_ report: ScanReport) {
        output.write(SARIFRendering().document(report, rules: rules))
    }
}
