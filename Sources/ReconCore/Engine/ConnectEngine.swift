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

/// What a connect scan produced.
public struct ScanOutcome: Sendable {
    /// Per target (request order): the ports scanned, ascending. Unscanned ports are absent.
    public var results: [[PortResult]]
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
}

/// The connect scanner: non-blocking connects in a bounded window, on one epoll loop per thread.
/// Work (target × port) is handed out in small chunks from a shared cursor so threads stay busy.
public struct ConnectEngine: Sendable {
    /// Options in force.
    public let options: ScanOptions
    /// Asks whether to stop (default: SIGINT or SIGTERM arrived).
    public let shouldStop: @Sendable () -> Int32

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

    /// Scans every port of `ports` on every target. Blocks until done or stopped;
    /// `onResult` is called from the scanning threads as results arrive.
    public func scan(targets: [AuthorizedTarget], ports: PortList, onResult: ResultHandler? = nil) -> ScanOutcome {
        let total = targets.count * ports.ports.count
        let (threads, concurrency) = layout(workItems: total)
        let shared = SharedScan(
            targets: targets, ports: ports.ports, options: options, threads: threads,
            concurrency: concurrency, onResult: onResult, shouldStop: shouldStop)
        defer { shared.deallocate() }

        let workers = (0..<threads).map { ConnectWorker(shared: shared, index: $0) }
        let box = UncheckedBox(workers)
        if threads == 1 {
            workers[0].run()
        } else {
            DispatchQueue.concurrentPerform(iterations: threads) { box.value[$0].run() }
        }

        var results = [[PortResult]](repeating: [], count: targets.count)
        for index in 0..<total {
            if let result = shared.results[index] { results[index % targets.count].append(result) }
        }
        var estimators = [RTTEstimator](repeating: RTTEstimator(), count: targets.count)
        for worker in workers {
            for (target, estimator) in worker.estimators.enumerated()
            where estimator.samples > estimators[target].samples {
                estimators[target] = estimator
            }
        }
        let stopSignal = workers.map(\.stoppedBy).max() ?? 0
        let done = results.reduce(0) { $0 + $1.count }
        return ScanOutcome(
            results: results, estimators: estimators, complete: done == total, stopSignal: stopSignal,
            localFailures: workers.reduce(0) { $0 + $1.localFailures }, threads: threads,
            concurrency: concurrency)
    }
}

/// Lets the workers (each used by one thread only) cross into concurrentPerform.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// State shared by the worker threads: read-only inputs, the work cursor, and the result slots
/// (each written by exactly one worker, read after all have joined).
final class SharedScan: @unchecked Sendable {
    let targets: [AuthorizedTarget]
    let ports: [UInt16]
    let options: ScanOptions
    let threads: Int
    let concurrency: Int
    let onResult: ResultHandler?
    let shouldStop: @Sendable () -> Int32
    let total: Int
    let cursor = Atomic<Int>(0)
    let results: UnsafeMutableBufferPointer<PortResult?>
    /// Socket address templates per target (port filled in per connect).
    let addresses: [SocketAddress]

    init(
        targets: [AuthorizedTarget], ports: [UInt16], options: ScanOptions, threads: Int, concurrency: Int,
        onResult: ResultHandler?, shouldStop: @escaping @Sendable () -> Int32
    ) {
        self.targets = targets
        self.ports = ports
        self.options = options
        self.threads = threads
        self.concurrency = concurrency
        self.onResult = onResult
        self.shouldStop = shouldStop
        total = targets.count * ports.count
        results = .allocate(capacity: max(total, 1))
        results.initialize(repeating: nil)
        addresses = targets.map { SocketAddress($0.address) }
    }

    func deallocate() { results.deallocate() }
}
