import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Renders reports as one JSON document, and scan events as JSON Lines records.
/// Keys are sorted so equal reports render to equal bytes.
public struct JSONRendering: Sendable {
    private let encoder: JSONEncoder

    public init() {
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// The whole report as one JSON document and a newline: the same bytes as encoding the
    /// report at once, but encoded and written host by host and port by port, so a large report
    /// never exists as one Foundation object tree or one buffer.
    public func writeDocument(_ report: ScanReport, to output: any ReportOutput) {
        var shell = report
        shell.hosts = []
        let (documentHead, documentTail) = Self.split(encode(shell), at: "hosts")
        output.write(documentHead)
        var buffer: [UInt8] = []
        for (index, host) in report.hosts.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            var hostShell = host
            hostShell.ports = []
            let (hostHead, hostTail) = Self.split(encode(hostShell), at: "ports")
            buffer += hostHead
            for (portIndex, port) in host.ports.enumerated() {
                if portIndex > 0 { buffer.append(UInt8(ascii: ",")) }
                buffer += encode(port)
                if buffer.count >= 1 << 16 {
                    output.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            buffer += hostTail
        }
        output.write(buffer + documentTail + [0x0A])
    }

    /// The whole report as one JSON document and a newline (`writeDocument` into memory).
    public func document(_ report: ScanReport) -> [UInt8] {
        let memory = MemoryOutput()
        writeDocument(report, to: memory)
        return memory.bytes
    }

    /// `json` cut at its empty array `"key":[]`, between the brackets. A raw `"key":[]` can
    /// only be the key itself: inside JSON strings quotes are escaped.
    private static func split(_ json: [UInt8], at key: String) -> (head: [UInt8], tail: [UInt8]) {
        let marker = Array("\"\(key)\":[]".utf8)
        guard let start = json.firstRange(of: marker)?.lowerBound else { return (json, []) }
        let cut = start + marker.count - 1
        return (Array(json[..<cut]), Array(json[cut...]))
    }

    /// One JSON Lines record and a newline.
    public func line(_ record: some Encodable) -> [UInt8] {
        encode(record) + [0x0A]
    }

    /// The JSON of one of recon's report types. They hold only strings, integers, booleans and
    /// finite numbers, which always encode: a failure is a bug, reported as such.
    private func encode(_ value: some Encodable) -> [UInt8] {
        do {
            return Array(try encoder.encode(value))
        } catch {
            fatalError("recon: could not encode the report: \(error)")
        }
    }
}

/// A `ReportOutput` that keeps what is written, for rendering into memory and for tests.
public final class MemoryOutput: ReportOutput {
    private let stored = Mutex<[UInt8]>([])

    public init() {}

    public func write(_ bytes: [UInt8]) { stored.withLock { $0 += bytes } }

    /// Everything written so far.
    public var bytes: [UInt8] { stored.withLock { $0 } }
}

/// First JSON Lines record: what is about to be scanned.
public struct StartRecord: Codable, Sendable, Equatable {
    public var type = "start"
    public var schema = ScanReport.schemaIdentifier
    /// The run header as known at the start (`ended` equals `started`, `complete` false).
    public var run: RunInfo
    /// Every authorized address, in scan order.
    public var targets: [TargetEntry]

    public init(run: RunInfo, targets: [AuthorizedTarget]) {
        self.run = run
        self.targets = targets.map(TargetEntry.init)
    }
}

/// An authorized address in the start record.
public struct TargetEntry: Codable, Sendable, Equatable {
    public var address: String
    public var family: String
    public var hostname: String?
    public var scopeRule: String

    enum CodingKeys: String, CodingKey {
        case address, family, hostname
        case scopeRule = "scope_rule"
    }

    public init(_ target: AuthorizedTarget) {
        address = target.address.description
        family = target.address.family
        hostname = target.hostname
        scopeRule = target.rule.description
    }
}

/// One JSON Lines record per port, written as the result arrives: the port entry's fields
/// plus `type`, `address` and `hostname`.
public struct PortRecord: Codable, Sendable, Equatable {
    public var address: String
    public var hostname: String?
    public var entry: PortEntry

    enum CodingKeys: String, CodingKey {
        case type, address, hostname
    }

    /// The record of `entry` on the host at `address` (its text, made once per host by the caller).
    public init(address: String, hostname: String?, entry: PortEntry) {
        self.address = address
        self.hostname = hostname
        self.entry = entry
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        address = try container.decode(String.self, forKey: .address)
        hostname = try container.decodeIfPresent(String.self, forKey: .hostname)
        entry = try PortEntry(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("port", forKey: .type)
        try container.encode(address, forKey: .address)
        try container.encodeIfPresent(hostname, forKey: .hostname)
        try entry.encode(to: encoder)
    }
}

/// An audit finding as a JSON Lines record (after the port records, before the end record):
/// the finding's fields plus `type`.
public struct FindingRecord: Codable, Sendable, Equatable {
    public var finding: AuditFinding

    enum CodingKeys: String, CodingKey {
        case type
    }

    public init(_ finding: AuditFinding) {
        self.finding = finding
    }

    public init(from decoder: any Decoder) throws {
        finding = try AuditFinding(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("finding", forKey: .type)
        try finding.encode(to: encoder)
    }
}

/// Last JSON Lines record: the run header, per-host summaries and the totals (and the audit's
/// verdict when auditing).
public struct EndRecord: Codable, Sendable, Equatable {
    public var type = "end"
    public var run: RunInfo
    public var hosts: [HostSummary]
    public var summary: StateCounts
    public var audit: AuditSummary?

    public init(report: ScanReport) {
        run = report.run
        hosts = report.hosts.map(HostSummary.init)
        summary = report.summary
        audit = report.audit
    }
}

/// A host's counts, closed-port summary and timing, without its listed ports (end record).
public struct HostSummary: Codable, Sendable, Equatable {
    public var address: String
    public var hostname: String?
    public var summary: StateCounts
    public var closed: PortSummary?
    public var timing: HostTiming

    public init(_ host: HostReport) {
        address = host.address
        hostname = host.hostname
        summary = host.summary
        closed = host.closed
        timing = host.timing
    }
}
