import Glibc
import ReconTestSupport
import Synchronization
import Testing

@testable import ReconCore

@Suite("Connect engine against real sockets")
struct EngineIntegrationTests {
    @Test(arguments: [false, true])
    func openAndClosed(ipv6: Bool) throws {
        let listeners = (0..<3).map { _ in TestSocket(ipv6: ipv6) }
        let closed = (0..<3).map { _ in TestSocket(ipv6: ipv6, listening: false) }
        let targets = try loopbackTargets([ipv6 ? "::1" : "127.0.0.1"])
        let ports = try portList(listeners.map(\.port) + closed.map(\.port))
        let (outcome, collected) = ConnectEngine(options: ScanOptions()).scanCollecting(targets: targets, ports: ports)
        #expect(outcome.complete)
        #expect(outcome.scanned == ports.ports.count && outcome.total == ports.ports.count)
        let results = collected[0]
        #expect(results.map(\.port) == ports.ports)
        for result in results {
            let expectOpen = listeners.contains { $0.port == result.port }
            #expect(result.state == (expectOpen ? .open : .closed))
            #expect(result.reason == (expectOpen ? .synAck : .connRefused))
            #expect(result.rttNanoseconds != nil)
            #expect(result.errno == 0)
        }
        #expect(outcome.estimators[0].samples == 6)
    }

    @Test func streamsEveryResultOnceFromAllThreads() throws {
        let listener = TestSocket()
        let targets = try loopbackTargets(["127.0.0.1", "127.0.0.2"])
        let ports = try PortList(parsing: "1-3000,\(listener.port)")
        let seen = Mutex<[String: Int]>([:])
        var options = ScanOptions()
        options.threads = 2
        let (outcome, collected) = ConnectEngine(options: options).scanCollecting(targets: targets, ports: ports) {
            index, result in
            seen.withLock { $0["\(index):\(result.port):\(result.state)", default: 0] += 1 }
        }
        #expect(outcome.threads == 2)
        let streamed = seen.withLock { $0 }
        #expect(streamed.count == 2 * ports.ports.count)
        #expect(streamed.values.allSatisfy { $0 == 1 })
        #expect(streamed["0:\(listener.port):open"] == 1)
        // The listener is bound to 127.0.0.1 only: on 127.0.0.2 the same port is closed.
        #expect(streamed["1:\(listener.port):closed"] == 1)
        #expect(collected[0].contains { $0.port == listener.port && $0.state == .open })
    }

    @Test func stopKeepsWhatWasDone() throws {
        let targets = try loopbackTargets(["127.0.0.1"])
        let count = Atomic<Int>(0)
        var options = ScanOptions()
        options.rate = 2000
        let engine = ConnectEngine(options: options, shouldStop: { count.load(ordering: .relaxed) >= 100 ? SIGINT : 0 })
        let (outcome, collected) = engine.scanCollecting(targets: targets, ports: .all) { _, _ in
            count.wrappingAdd(1, ordering: .relaxed)
        }
        #expect(!outcome.complete)
        #expect(outcome.stopSignal == SIGINT)
        let done = collected[0].count
        #expect(done >= 100 && done < 1000)
        #expect(outcome.scanned == done)
    }

    @Test func rateLimitPacesConnects() throws {
        let targets = try loopbackTargets(["127.0.0.1"])
        var options = ScanOptions()
        options.rate = 400
        let start = monotonicNanoseconds()
        let outcome = ConnectEngine(options: options).scan(targets: targets, ports: try PortList(parsing: "1-100")) {
            _, _ in
        }
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        #expect(outcome.complete)
        #expect(elapsed >= 0.2, "100 connects at 400/s take about 0.25 s, took \(elapsed)")
    }
}

@Suite("Connect engine when threads cannot run")
struct EngineStarvationTests {
    @Test func threadWithoutEventLoopLeavesItsWorkToTheOthers() throws {
        var options = ScanOptions()
        options.threads = 2
        var engine = ConnectEngine(options: options)
        // Thread 0 never gets an epoll instance. Before, it reported every port not yet handed
        // out as `error EMFILE`.
        engine.makeEventLoop = { worker in
            worker == 0 ? -EMFILE : ConnectEngine.epollEventLoop(worker)
        }
        let targets = try loopbackTargets(["127.0.0.1"])
        let ports = try PortList(parsing: "1-3000")
        let (outcome, collected) = engine.scanCollecting(targets: targets, ports: ports)
        #expect(outcome.threads == 2)
        #expect(outcome.failure == nil)
        #expect(outcome.complete)
        #expect(collected[0].count == 3000)
        #expect(collected[0].allSatisfy { $0.state != .error })
        #expect(outcome.localFailures >= 1)
    }

    @Test func noEventLoopAnywhereIsAFailureNotErrorPorts() throws {
        var options = ScanOptions()
        options.threads = 2
        options.localFailureLimit = 3
        var engine = ConnectEngine(options: options)
        engine.makeEventLoop = { _ in -EMFILE }
        let (outcome, collected) = engine.scanCollecting(
            targets: try loopbackTargets(["127.0.0.1"]), ports: try PortList(parsing: "1-3000"))
        #expect(outcome.failure == ScanFailure(errno: EMFILE))
        #expect(!outcome.complete)
        #expect(collected[0].isEmpty && outcome.scanned == 0)
        #expect(outcome.stopSignal == 0)
    }
}

@Suite("Rate schedule")
struct RateScheduleTests {
    func shared(rate: Double) throws -> SharedScan {
        var options = ScanOptions()
        options.rate = rate
        return SharedScan(
            targets: try loopbackTargets(["127.0.0.1"]), ports: [1], options: options, threads: 2, concurrency: 2,
            onResult: { _, _ in }, shouldStop: { 0 }, makeEventLoop: { _ in -EINVAL })
    }

    /// Grants of two threads asking every 0.1 ms from `start` for `seconds`.
    func grants(_ shared: SharedScan, from start: Int64, seconds: Double) -> [Int64] {
        var granted: [Int64] = []
        var now = start
        while now < start + Int64(seconds * 1e9) {
            for _ in 0..<2 where shared.claimSendSlot(now: now) == nil { granted.append(now) }
            now += 100_000
        }
        return granted
    }

    func busiestSecond(_ times: [Int64]) -> Int {
        var busiest = 0
        var first = 0
        for last in times.indices {
            while times[last] - times[first] >= 1_000_000_000 { first += 1 }
            busiest = max(busiest, last - first + 1)
        }
        return busiest
    }

    @Test func oneScheduleForAllThreadsAndNoCatchUpBurst() throws {
        let shared = try shared(rate: 10)
        let start = monotonicNanoseconds()
        let first = grants(shared, from: start, seconds: 3)
        #expect(first.count >= 30 && first.count <= 31, "\(first.count) grants in 3 s")
        // One connect at the start, not one per thread (nor two).
        #expect(first.count >= 2 && first[1] - first[0] >= 99_000_000)
        #expect(busiestSecond(first) <= 11)
        // After 10 s without asking: one slot at once and one more, no burst of saved-up slots.
        let later = grants(shared, from: start + 13_000_000_000, seconds: 2)
        #expect(later.filter { $0 == start + 13_000_000_000 }.count <= 2)
        #expect(busiestSecond(first + later) <= 11)
    }

    @Test(arguments: [1e-10, 0.001, 1e7, 1e12, .infinity])
    func intervalNeverTraps(rate: Double) {
        let interval = SharedScan.interval(rate: rate)
        #expect(interval >= 0 && interval <= 86_400_000_000_000)
    }
}
