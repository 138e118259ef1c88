import CReconShim
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One port result as it arrives, with the index of its target in the request.
public typealias ResultHandler = @Sendable (_ targetIndex: Int, _ result: PortResult) -> Void

/// What a connect scan produced, besides the results it handed to its `onResult` handler (it
/// keeps none itself, so its memory does not grow with the ports scanned).
public struct ScanOutcome: Sendable {
    /// Ports decided (target × port), and how many there were to decide.
    public var scanned: Int
    public var total: Int
    /// Per target: the round-trip estimate learned during the scan.
    public var estimators: [RTTEstimator]
    /// False when the scan was stopped before every port was done.
    public var complete: Bool
    /// The signal that stopped the scan (SIGINT, SIGTERM), or 0.
    public var stopSignal: Int32
    /// Local failures (EMFILE, EADDRNOTAVAIL, ...) that were backed off and retried.
    public var localFailures: Int
    /// Threads and connects in flight actually used.
    public var threads: Int
    public var concurrency: Int
    /// Connects that met another local socket instead of a listener (TCP simultaneous open),
    /// retried from another source port; never reported as open.
    public var phantoms: Int = 0
    /// Set when the scan could not run at all (no thread could get an event loop).
    public var failure: ScanFailure?
}

/// Why a connect scan could not finish: no worker thread could get an event loop or start a
/// connect (out of descriptors). Ports left undone are not reported; no result is made up.
public struct ScanFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The errno of the last failed try (EMFILE, ENFILE, ENOMEM).
    public var errno: Int32

    public init(errno: Int32) { self.errno = errno }

    public var description: String {
        let name = errno == 0 ? "unknown error" : "\(ErrnoName.name(errno)) (\(String(cString: strerror(errno))))"
        let hint = errno == EMFILE || errno == ENFILE ? "; raise the open-file limit (ulimit -n)" : ""
        return "cannot scan: no thread could start connects: \(name)\(hint)"
    }
}

/// The connect scanner: non-blocking connects in a bounded window, on one epoll loop per thread.
/// Work (target × port) is handed out in small chunks from a shared cursor so threads stay busy.
public struct ConnectEngine: Sendable {
    /// Options in force.
    public let options: ScanOptions
    /// Asks whether to stop (default: SIGINT or SIGTERM arrived).
    public let shouldStop: @Sendable () -> Int32

    /// Makes worker N's event loop: an epoll descriptor, or -errno (a hook for tests).
    var makeEventLoop: @Sendable (_ worker: Int) -> Int32 = Self.epollEventLoop

    /// A new epoll instance, or -errno.
    static let epollEventLoop: @Sendable (_ worker: Int) -> Int32 = { _ in
        let descriptor = recon_epoll_create()
        return descriptor >= 0 ? descriptor : -errno
    }

    public init(options: ScanOptions, shouldStop: @escaping @Sendable () -> Int32 = { recon_stop_signal() }) {
        self.options = options
        self.shouldStop = shouldStop
    }

    /// Threads and connects in flight for a scan of `workItems` (target × port) connects:
    /// one thread per core, but at least 256 connects per thread; never more in flight than work.
    public func layout(workItems: Int) -> (threads: Int, concurrency: Int) {
        let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let threads = max(1, min(options.threads ?? cores, max(1, workItems / 256)))
        return (threads, max(1, min(options.concurrency, max(workItems, 1))))
    }

    /// Scans every port of `ports` on every target. Blocks until done or stopped; `onResult` is
    /// called from the scanning threads as results arrive (once per port decided), and is the
    /// only place results go.
    public func scan(targets: [AuthorizedTarget], ports: PortList, onResult: @escaping ResultHandler) -> ScanOutcome {
        let total = targets.count * ports.ports.count
        let (threads, concurrency) = layout(workItems: total)
        let shared = SharedScan(
            targets: targets, ports: ports.ports, options: options, threads: threads,
            concurrency: concurrency, onResult: onResult, shouldStop: shouldStop, makeEventLoop: makeEventLoop)

        let workers = (0..<threads).map { ConnectWorker(shared: shared, index: $0) }
        let box = UncheckedBox(workers)
        if threads == 1 {
            workers[0].run()
        } else {
            DispatchQueue.concurrentPerform(iterations: threads) { box.value[$0].run() }
        }

        var estimators = [RTTEstimator](repeating: RTTEstimator(), count: targets.count)
        for worker in workers {
            for (target, estimator) in worker.estimators.enumerated()
            where estimator.samples > estimators[target].samples {
                estimators[target] = estimator
            }
        }
        let stopSignal = workers.map(\.stoppedBy).max() ?? 0
        let done = workers.reduce(0) { $0 + $1.recorded }
        var outcome = ScanOutcome(
            scanned: done, total: total, estimators: estimators, complete: done == total, stopSignal: stopSignal,
            localFailures: workers.reduce(0) { $0 + $1.localFailures }, threads: threads,
            concurrency: concurrency, phantoms: workers.reduce(0) { $0 + $1.phantoms })
        // A worker stops with items undone only when stopped by a signal or when it cannot start
        // connects (then it hands them to the others): items left undone mean no worker could.
        if done < total && stopSignal == 0 {
            outcome.failure = ScanFailure(errno: workers.map(\.lastLocalErrno).first { $0 != 0 } ?? 0)
        }
        return outcome
    }

    /// Scans like `scan(targets:ports:onResult:)` and also returns every result, per target in
    /// port order. For small scans and tests: memory grows with the ports scanned.
    public func scanCollecting(
        targets: [AuthorizedTarget], ports: PortList, onResult: ResultHandler? = nil
    ) -> (outcome: ScanOutcome, results: [[PortResult]]) {
        let collected = Mutex([[PortResult]](repeating: [], count: targets.count))
        let outcome = scan(targets: targets, ports: ports) { index, result in
            collected.withLock { $0[index].append(result) }
            onResult?(index, result)
        }
        return (outcome, collected.withLock { $0 }.map { $0.sorted { $0.port < $1.port } })
    }
}

/// Lets the workers (each used by one thread only) cross into concurrentPerform.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// State shared by the worker threads: read-only inputs, the work cursor, the rate schedule and
/// the work given up by workers that could not run.
final class SharedScan: @unchecked Sendable {
    let targets: [AuthorizedTarget]
    let ports: [UInt16]
    let options: ScanOptions
    let threads: Int
    let concurrency: Int
    let onResult: ResultHandler
    let shouldStop: @Sendable () -> Int32
    let total: Int
    let cursor = Atomic<Int>(0)
    /// Items given up by workers that could not start connects, for the others to take.
    private let orphans = Mutex<[Pending]>([])
    let orphanCount = Atomic<Int>(0)
    /// Workers that hold items but have not started a connect yet, so may still give them up:
    /// no worker finishes while one of them runs.
    let unproven = Atomic<Int>(0)
    /// Socket address templates per target (port filled in per connect).
    let addresses: [SocketAddress]
    /// Per target: an address of this host (loopback or an interface's), where a connect can
    /// meet another local socket instead of a listener.
    let localTargets: [Bool]
    let makeEventLoop: @Sendable (_ worker: Int) -> Int32
    /// Nanoseconds between connect starts over all threads (`--rate`); 0 = unpaced.
    let sendInterval: Int64
    /// The one rate schedule all threads share: the earliest time the next connect may start.
    private let nextSendAt: Atomic<Int64>

    init(
        targets: [AuthorizedTarget], ports: [UInt16], options: ScanOptions, threads: Int, concurrency: Int,
        onResult: @escaping ResultHandler, shouldStop: @escaping @Sendable () -> Int32,
        makeEventLoop: @escaping @Sendable (_ worker: Int) -> Int32
    ) {
        self.targets = targets
        self.ports = ports
        self.options = options
        self.threads = threads
        self.concurrency = concurrency
        self.onResult = onResult
        self.shouldStop = shouldStop
        total = targets.count * ports.count
        addresses = targets.map { SocketAddress($0.address) }
        let own = Set(InterfaceAddress.current().map(\.address))
        localTargets = targets.map { $0.address.isLoopback || own.contains($0.address) }
        self.makeEventLoop = makeEventLoop
        sendInterval = Self.interval(rate: options.rate)
        nextSendAt = Atomic(monotonicNanoseconds())
    }

    func adopt(_ items: [Pending]) {
        guard !items.isEmpty else { return }
        orphans.withLock { list in
            list.append(contentsOf: items)
            orphanCount.wrappingAdd(items.count, ordering: .sequentiallyConsistent)
        }
    }

    func takeOrphan() -> Pending? {
        orphans.withLock { list in
            guard let item = list.popLast() else { return nil }
            orphanCount.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            return item
        }
    }

    /// Nanoseconds between connects for `rate` per second (nil or not positive: unpaced),
    /// at most a day, so any Double is safe.
    static func interval(rate: Double?) -> Int64 {
        guard let rate, rate > 0 else { return 0 }
        return Int64(min(1e9 / rate, 86_400e9))
    }

    /// Claims the rate schedule's next slot at `now`: nil when a connect may start now, else
    /// the time its slot opens. Slots are one interval apart; after idling the schedule restarts
    /// from `now` less one interval (so a late wake-up loses no slot, and no burst of saved-up
    /// slots follows): at most R + 1 connects start in any one-second window, over all threads.
    func claimSendSlot(now: Int64) -> Int64? {
        var slot = nextSendAt.load(ordering: .relaxed)
        while true {
            if slot > now { return slot }
            let next = max(slot, now - sendInterval) + sendInterval
            let (exchanged, original) = nextSendAt.compareExchange(
                expected: slot, desired: next, ordering: .relaxed)
            if exchanged { return nil }
            slot = original
        }
    }

}
