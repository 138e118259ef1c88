import Synchronization

/// How far a scan has got, updated by the pipeline as results arrive and read by a progress
/// display from another thread. Counters are relaxed atomics: one increment per result.
public final class ScanProgress: Sendable {
    /// The stage the scan is in.
    public enum Phase: Int, Sendable {
        case starting, connect, probe, audit, done

        /// The word a progress line shows.
        public var name: String {
            switch self {
            case .starting: "starting"
            case .connect: "connect"
            case .probe: "probe"
            case .audit: "audit"
            case .done: "done"
            }
        }
    }

    private let phaseValue = Atomic<Int>(Phase.starting.rawValue)
    private let decidedCount = Atomic<Int>(0)
    private let openCount = Atomic<Int>(0)
    private let probeTotalCount = Atomic<Int>(0)
    private let probedCount = Atomic<Int>(0)
    /// Ports to decide (targets × ports).
    public let total: Int
    /// Called from the scanning threads for each open port as it is found (host index, port).
    private let onOpen: (@Sendable (Int, UInt16) -> Void)?
    /// When the connect phase began (monotonic nanoseconds), 0 before.
    private let connectStart = Atomic<Int64>(0)

    public init(total: Int, onOpen: (@Sendable (Int, UInt16) -> Void)? = nil) {
        self.total = total
        self.onOpen = onOpen
    }

    public var phase: Phase { Phase(rawValue: phaseValue.load(ordering: .relaxed)) ?? .starting }
    public var decided: Int { decidedCount.load(ordering: .relaxed) }
    public var open: Int { openCount.load(ordering: .relaxed) }
    public var probeTotal: Int { probeTotalCount.load(ordering: .relaxed) }
    public var probed: Int { probedCount.load(ordering: .relaxed) }
    /// Nanoseconds since the connect phase began.
    public func connectElapsed(now: Int64 = monotonicNanoseconds()) -> Int64 {
        let start = connectStart.load(ordering: .relaxed)
        return start == 0 ? 0 : now - start
    }

    func enter(_ phase: Phase) {
        if phase == .connect { connectStart.store(monotonicNanoseconds(), ordering: .relaxed) }
        phaseValue.store(phase.rawValue, ordering: .relaxed)
    }

    func decided(_ host: Int, _ result: PortResult) {
        decidedCount.add(1, ordering: .relaxed)
        guard result.state == .open else { return }
        openCount.add(1, ordering: .relaxed)
        onOpen?(host, result.port)
    }

    func probing(_ ports: Int) { probeTotalCount.store(ports, ordering: .relaxed) }

    func probedOne() { probedCount.add(1, ordering: .relaxed) }
}
