/// One side of a diff: a report and where it came from (a stored run or a report file).
public struct DiffOperand: Sendable {
    public var side: DiffSide
    public var report: ScanReport

    /// A report read from the file at `path`.
    public init(file path: String, report: ScanReport) {
        side = DiffSide(source: "file", path: path, report: report)
        self.report = report
    }

    /// Stored run `id`, saved by `scanner`.
    public init(run id: Int64, scanner: String, report: ScanReport) {
        side = DiffSide(source: "run", run: id, scanner: scanner, report: report)
        self.report = report
    }
}

/// What a diff says about one of its inputs.
public struct DiffSide: Codable, Sendable, Equatable {
    /// `run` (a stored run) or `file` (a report file).
    public var source: String
    /// The run's id, for a stored run.
    public var run: Int64?
    /// The file's path, for a report file.
    public var path: String?
    /// The machine that saved the run (its host name), for a stored run.
    public var scanner: String?
    /// The report's schema (`recon-scan/1` or `recon-scan/2`), or `nmap-xml` for nmap XML.
    public var schema: String
    /// When the scan started.
    public var started: String
    /// False if the scan was interrupted: only the ports it reached are compared.
    public var complete: Bool
    /// True for an audit (it has findings; findings are compared only between audits).
    public var audited: Bool
    /// The ports it scanned, and its hosts' addresses.
    public var ports: String
    public var targets: [String]

    init(source: String, run: Int64? = nil, path: String? = nil, scanner: String? = nil, report: ScanReport) {
        self.source = source
        self.run = run
        self.path = path
        self.scanner = scanner
        schema = report.schema
        started = report.run.started
        complete = report.run.complete
        audited = report.findings != nil
        ports = report.run.ports
        targets = report.hosts.map(\.address)
    }

    /// `run 12` or the file's path.
    public var label: String { run.map { "run \($0)" } ?? path ?? source }
}

/// What changed between two scans (`recon diff`), schema `recon-diff/1`
/// (`schema/recon-diff-v1.schema.json`): ports that opened, closed or changed state, services
/// whose name, product, version or banner changed, and findings that appeared or went away.
/// Hosts are matched by address; ports only one scan covered are listed apart, not as changes.
public struct ScanDiff: Codable, Sendable, Equatable {
    public static let schemaIdentifier = "recon-diff/1"

    public var schema = ScanDiff.schemaIdentifier
    public var old: DiffSide
    public var new: DiffSide
    /// True when there is at least one change (`recon diff` then exits 7).
    public var changed: Bool
    public var summary: DiffSummary
    /// False when either scan was no audit: findings were then not compared.
    public var findingsCompared: Bool
    /// The changes, by host (in the new scan's order), then port; findings last.
    public var changes: [DiffChange]
    /// Ports (or whole hosts) only one of the scans covered.
    public var notCompared: [UncomparedPorts]

    enum CodingKeys: String, CodingKey {
        case schema, old, new, changed, summary, changes
        case findingsCompared = "findings_compared"
        case notCompared = "not_compared"
    }

    /// The differences from `old` to `new`.
    public init(old: DiffOperand, new: DiffOperand) {
        self.old = old.side
        self.new = new.side
        var changes: [DiffChange] = []
        var notCompared: [UncomparedPorts] = []
        let oldHosts = HostView.views(old.report)
        let newHosts = HostView.views(new.report)
        let oldByAddress = Dictionary(oldHosts.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        let newAddresses = Set(newHosts.map(\.address))
        var common: [String: PortRanges] = [:]
        for host in newHosts {
            guard let before = oldByAddress[host.address] else {
                notCompared.append(UncomparedPorts(host: host.address, onlyIn: "new", ports: host.scanned))
                continue
            }
            let both = before.scanned.intersection(host.scanned)
            common[host.address] = both
            for (side, ports) in [("old", before.scanned.subtracting(both)), ("new", host.scanned.subtracting(both))]
            where ports.count > 0 {
                notCompared.append(UncomparedPorts(host: host.address, onlyIn: side, ports: ports))
            }
            changes += Self.portChanges(before, host, within: both)
        }
        for host in oldHosts where !newAddresses.contains(host.address) {
            notCompared.append(UncomparedPorts(host: host.address, onlyIn: "old", ports: host.scanned))
        }
        findingsCompared = old.report.findings != nil && new.report.findings != nil
        if findingsCompared {
            changes += Self.findingChanges(old.report.findings ?? [], new.report.findings ?? [], common: common)
        }
        self.changes = changes
        self.notCompared = notCompared
        summary = DiffSummary(changes)
        changed = !changes.isEmpty
    }

    /// The port and service changes of one host, over the ports both scans covered.
    private static func portChanges(_ old: HostView, _ new: HostView, within both: PortRanges) -> [DiffChange] {
        let candidates = Set(old.listed.keys).union(new.listed.keys).filter { both.contains(UInt16($0)) }.sorted()
        var changes: [DiffChange] = []
        for port in candidates {
            let before = old.snapshot(port)
            let after = new.snapshot(port)
            var change = DiffChange(kind: .portState, host: new.address, hostname: new.hostname, port: port)
            (change.old, change.new) = (before, after)
            switch (before.state == PortState.open.rawValue, after.state == PortState.open.rawValue) {
            case (false, true): change.kind = .portOpened
            case (true, false): change.kind = .portClosed
            case (true, true):
                guard let oldEntry = old.listed[port], let newEntry = new.listed[port],
                    let fields = serviceChanges(oldEntry, newEntry)
                else { continue }
                change.kind = .serviceChanged
                change.fields = fields
            case (false, false):
                guard before.state != after.state, before.state != HostView.unlisted, after.state != HostView.unlisted
                else { continue }
            }
            changes.append(change)
        }
        return changes
    }

    /// The service fields that differ between two open ports, nil when none does. Ports one of
    /// the scans did not probe (no `--banner`, or stopped first) are not compared.
    static func serviceChanges(_ old: PortEntry, _ new: PortEntry) -> [FieldChange]? {
        let (before, after) = (old.probeDetails, new.probeDetails)
        guard before != PortService(), after != PortService() else { return nil }
        var fields: [FieldChange] = []
        let texts: [(String, String?, String?)] = [
            ("name", before.service?.name, after.service?.name),
            ("product", before.service?.product, after.service?.product),
            ("version", before.service?.version, after.service?.version),
        ]
        for (name, was, now) in texts where was != now {
            fields.append(FieldChange(field: name, old: was.map(FieldValue.text), new: now.map(FieldValue.text)))
        }
        if before.banner?.bytes != after.banner?.bytes {
            fields.append(
                FieldChange(
                    field: "banner", old: before.banner.map(FieldValue.bytes), new: after.banner.map(FieldValue.bytes)))
        }
        return fields.isEmpty ? nil : fields
    }

    /// Findings that appeared or went away (by fingerprint), on ports both scans covered.
    private static func findingChanges(_ old: [AuditFinding], _ new: [AuditFinding], common: [String: PortRanges])
        -> [DiffChange]
    {
        func covered(_ finding: AuditFinding) -> Bool {
            (1...65535).contains(finding.port) && common[finding.host]?.contains(UInt16(finding.port)) == true
        }
        let oldPrints = Set(old.map(\.fingerprint))
        let newPrints = Set(new.map(\.fingerprint))
        var changes: [DiffChange] = []
        for (kind, findings, other) in [(DiffChangeKind.findingNew, new, oldPrints), (.findingGone, old, newPrints)] {
            var seen = Set<String>()
            for finding in findings
            where !other.contains(finding.fingerprint) && covered(finding) && seen.insert(finding.fingerprint).inserted
            {
                var change = DiffChange(kind: kind, host: finding.host, hostname: finding.hostname, port: finding.port)
                change.finding = FindingSnapshot(finding)
                changes.append(change)
            }
        }
        return changes
    }
}

/// How many changes of each kind.
public struct DiffSummary: Codable, Sendable, Equatable {
    public var opened = 0
    public var closed = 0
    public var stateChanged = 0
    public var serviceChanged = 0
    public var findingsNew = 0
    public var findingsGone = 0
    public var total = 0

    enum CodingKeys: String, CodingKey {
        case opened, closed, total
        case stateChanged = "state_changed"
        case serviceChanged = "service_changed"
        case findingsNew = "findings_new"
        case findingsGone = "findings_gone"
    }

    init(_ changes: [DiffChange]) {
        for change in changes {
            switch change.kind {
            case .portOpened: opened += 1
            case .portClosed: closed += 1
            case .portState: stateChanged += 1
            case .serviceChanged: serviceChanged += 1
            case .findingNew: findingsNew += 1
            case .findingGone: findingsGone += 1
            }
        }
        total = changes.count
    }
}

/// The kinds of change.
public enum DiffChangeKind: String, Codable, Sendable, CaseIterable {
    /// Not open before, open now.
    case portOpened = "port-opened"
    /// Open before, not open now (closed, filtered or error).
    case portClosed = "port-closed"
    /// Neither open before nor now, in another state (closed to filtered, ...).
    case portState = "port-state"
    /// Open in both; the service's name, product, version or banner changed.
    case serviceChanged = "service-changed"
    /// A finding (by fingerprint) that the old scan did not have.
    case findingNew = "finding-new"
    /// A finding of the old scan that the new one does not have.
    case findingGone = "finding-gone"
}

/// One change.
public struct DiffChange: Codable, Sendable, Equatable {
    public var kind: DiffChangeKind
    public var host: String
    public var hostname: String?
    public var port: Int
    /// The port before and after (port and service changes).
    public var old: PortSnapshot?
    public var new: PortSnapshot?
    /// What changed in the service (`service-changed`).
    public var fields: [FieldChange]?
    /// The finding that appeared or went away (`finding-new`, `finding-gone`).
    public var finding: FindingSnapshot?

    init(kind: DiffChangeKind, host: String, hostname: String?, port: Int) {
        self.kind = kind
        self.host = host
        self.hostname = hostname
        self.port = port
    }
}

/// A port as one scan saw it.
public struct PortSnapshot: Codable, Sendable, Equatable {
    /// `open`, `closed`, `filtered`, `error`, or `unlisted` (scanned, but the report lists only
    /// open ports, `--open`: not open).
    public var state: String
    public var reason: String?
    /// The identified service, when probed.
    public var service: String?
    public var product: String?
    public var version: String?
}

/// One service field before and after; absent when it had no value.
public struct FieldChange: Codable, Sendable, Equatable {
    /// `name`, `product`, `version` or `banner`.
    public var field: String
    public var old: FieldValue?
    public var new: FieldValue?
}

/// A field's value: text, or bytes (the banner: exact bytes and a printable rendering).
public enum FieldValue: Codable, Sendable, Equatable {
    case text(String)
    case bytes(CapturedBytes)

    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self = .text(text)
        } else {
            self = .bytes(try CapturedBytes(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .text(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .bytes(let bytes): try bytes.encode(to: encoder)
        }
    }

    /// Printable (bytes escaped).
    public var text: String {
        switch self {
        case .text(let text): return text
        case .bytes(let bytes): return bytes.text
        }
    }
}

/// A finding that appeared or went away.
public struct FindingSnapshot: Codable, Sendable, Equatable {
    public var fingerprint: String
    public var rule: String
    public var severity: AuditSeverity
    public var message: String
    public var service: String?
    /// Where it was seen (`banner`, `http-header Server`, ...).
    public var location: String

    init(_ finding: AuditFinding) {
        fingerprint = finding.fingerprint
        rule = finding.rule
        severity = finding.severity
        message = finding.message
        service = finding.service
        location = finding.evidence.location
    }
}

/// Ports of a host that only one of the two scans covered (a whole host when the other scan
/// did not have it): reported as such, not as changes.
public struct UncomparedPorts: Codable, Sendable, Equatable {
    public var host: String
    /// `old` or `new`: the scan that covered them.
    public var onlyIn: String
    /// The ports, as a port list (`1025-65535`).
    public var ports: String
    public var count: Int

    init(host: String, onlyIn: String, ports: PortRanges) {
        self.host = host
        self.onlyIn = onlyIn
        self.ports = ports.description
        count = ports.count
    }

    enum CodingKeys: String, CodingKey {
        case host, ports, count
        case onlyIn = "only_in"
    }
}

/// One host of a report as the diff reads it: the listed ports, the closed ranges, and the
/// ports the scan covered (all requested ports when complete; else only those with a result).
struct HostView {
    static let unlisted = "unlisted"

    var address: String
    var hostname: String?
    var listed: [Int: PortEntry]
    var closed: PortRanges
    var closedReason: String?
    var scanned: PortRanges

    static func views(_ report: ScanReport) -> [HostView] {
        let requested = (try? PortList(parsing: report.run.ports)).map { PortRanges($0.ports) }
        return report.hosts.map { host in
            let listed = Dictionary(host.ports.map { ($0.port, $0) }, uniquingKeysWith: { first, _ in first })
            let closed = host.closed?.ports ?? PortRanges()
            let reasons = host.closed?.reasons ?? [:]
            var scanned = PortRanges(listed.keys.filter { (1...65535).contains($0) }.map { UInt16($0) }.sorted())
                .union(closed)
            if report.run.complete, let requested { scanned = requested }
            return HostView(
                address: host.address, hostname: host.hostname, listed: listed, closed: closed,
                closedReason: reasons.count == 1 ? reasons.keys.first : nil, scanned: scanned)
        }
    }

    /// The port as this scan saw it (a port it covered).
    func snapshot(_ port: Int) -> PortSnapshot {
        if let entry = listed[port] {
            return PortSnapshot(
                state: entry.state.rawValue, reason: entry.reason.rawValue, service: entry.service?.name,
                product: entry.service?.product, version: entry.service?.version)
        }
        if closed.contains(UInt16(port)) {
            return PortSnapshot(state: PortState.closed.rawValue, reason: closedReason)
        }
        return PortSnapshot(state: Self.unlisted)
    }
}
