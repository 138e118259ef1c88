import Synchronization

/// Which ports a report lists one by one; the others are only counted (and closed ones
/// summarised as ranges, like nmap's `<extraports>`).
public struct PortListing: Sendable, Equatable {
    /// List only open ports (`--open`).
    public var openOnly = false
    /// List every closed port too (`--show closed`).
    public var closedPorts = false

    public init(openOnly: Bool = false, closedPorts: Bool = false) {
        self.openOnly = openOnly
        self.closedPorts = closedPorts
    }

    /// True when `result` is listed: open ports always; filtered and error ones unless only open
    /// ports are; closed ones with `--show closed`, or when their reason is not the usual RST.
    public func lists(_ result: PortResult) -> Bool {
        switch result.state {
        case .open: return true
        case .filtered, .error: return !openOnly
        case .closed: return !openOnly && (closedPorts || result.reason != .connRefused)
        }
    }
}

/// What a scan keeps of one host while results arrive: the counts, the closed ports it does not
/// list as ranges, and the listed results in full. Memory follows the listed ports, not the
/// ports scanned.
public struct HostTally: Sendable, Equatable {
    /// Ports per state.
    public private(set) var counts = StateCounts()
    /// Closed ports not listed (the usual `conn-refused` ones), as ranges, and their reasons.
    public private(set) var closed = PortRanges()
    public private(set) var closedReasons: [PortReason: Int] = [:]
    /// The listed results, in arrival order (`sortedListed` puts them in port order).
    public private(set) var listed: [PortResult] = []
    /// Ports recon itself could not test (`local-error`), by errno name, listed or not.
    public private(set) var localErrors: [String: Int] = [:]

    public init() {}

    /// Counts `result` and keeps it (listed) or its port (summarised); returns true when listed.
    @discardableResult
    public mutating func record(_ result: PortResult, listing: PortListing) -> Bool {
        counts.add(result.state)
        if result.reason == .localError { localErrors[result.errnoName ?? "unknown", default: 0] += 1 }
        if listing.lists(result) {
            listed.append(result)
            return true
        }
        if result.state == .closed {
            closed.insert(result.port)
            closedReasons[result.reason, default: 0] += 1
        }
        return false
    }

    /// The listed results in port order.
    public var sortedListed: [PortResult] { listed.sorted { $0.port < $1.port } }

    /// The summary of the closed ports not listed, nil when there are none.
    public var closedSummary: PortSummary? {
        guard closed.count > 0 else { return nil }
        let reasons = Dictionary(uniqueKeysWithValues: closedReasons.map { ($0.key.rawValue, $0.value) })
        return PortSummary(count: closed.count, reasons: reasons, ports: closed)
    }
}

/// The tallies of every host of a scan, updated from the engine's threads (one lock per host).
final class HostTallies: Sendable {
    private let hosts: [Box]
    let listing: PortListing

    /// One host's tally behind its lock (a `Mutex` cannot live in an array by itself).
    private final class Box: Sendable {
        let tally = Mutex(HostTally())
    }

    init(count: Int, listing: PortListing) {
        hosts = (0..<count).map { _ in Box() }
        self.listing = listing
    }

    /// Records `result` of host `index`; true when it is listed.
    func record(_ index: Int, _ result: PortResult) -> Bool {
        hosts[index].tally.withLock { $0.record(result, listing: listing) }
    }

    /// A copy of host `index`'s tally.
    subscript(index: Int) -> HostTally { hosts[index].tally.withLock { $0 } }

    var count: Int { hosts.count }
}
