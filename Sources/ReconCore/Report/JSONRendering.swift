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

    /// The whole report as one JSON document and a newline.
    public func document(_ report: ScanReport) throws -> [UInt8] {
        Array(try encoder.encode(report)) + [0x0A]
    }

    /// One JSON Lines record and a newline.
    public func line(_ record: some Encodable) throws -> [UInt8] {
        Array(try encoder.encode(record)) + [0x0A]
    }
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
        family = target.address.isIPv4 ? "ipv4" : "ipv6"
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

    public init(target: AuthorizedTarget, result: PortResult) {
        address = target.address.description
        hostname = target.hostname
        entry = PortEntry(result)
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

/// Last JSON Lines record: the run header, per-host summaries and the totals.
public struct EndRecord: Codable, Sendable, Equatable {
    public var type = "end"
    public var run: RunInfo
    public var hosts: [HostSummary]
    public var summary: StateCounts

    public init(report: ScanReport) {
        run = report.run
        hosts = report.hosts.map(HostSummary.init)
        summary = report.summary
    }
}

/// A host's counts and timing, without its ports (end record).
public struct HostSummary: Codable, Sendable, Equatable {
    public var address: String
    public var hostname: String?
    public var summary: StateCounts
    public var timing: HostTiming

    public init(_ host: HostReport) {
        address = host.address
        hostname = host.hostname
        summary = host.summary
        timing = host.timing
    }
}
