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
        let outcome = ConnectEngine(options: ScanOptions()).scan(targets: targets, ports: ports)
        #expect(outcome.complete)
        let results = outcome.results[0]
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
        let outcome = ConnectEngine(options: options).scan(targets: targets, ports: ports) { index, result in
            seen.withLock { $0["\(index):\(result.port):\(result.state)", default: 0] += 1 }
        }
        #expect(outcome.threads == 2)
        let streamed = seen.withLock { $0 }
        #expect(streamed.count == 2 * ports.ports.count)
        #expect(streamed.values.allSatisfy { $0 == 1 })
        #expect(streamed["0:\(listener.port):open"] == 1)
        // The listener is bound to 127.0.0.1 only: on 127.0.0.2 the same port is closed.
        #expect(streamed["1:\(listener.port):closed"] == 1)
        #expect(outcome.results[0].contains { $0.port == listener.port && $0.state == .open })
    }

    @Test func stopKeepsWhatWasDone() throws {
        let targets = try loopbackTargets(["127.0.0.1"])
        let count = Atomic<Int>(0)
        var options = ScanOptions()
        options.rate = 2000
        let engine = ConnectEngine(options: options, shouldStop: { count.load(ordering: .relaxed) >= 100 ? SIGINT : 0 })
        let outcome = engine.scan(targets: targets, ports: .all) { _, _ in
            count.wrappingAdd(1, ordering: .relaxed)
        }
        #expect(!outcome.complete)
        #expect(outcome.stopSignal == SIGINT)
        let done = outcome.results[0].count
        #expect(done >= 100 && done < 1000)
        #expect(outcome.results[0].map(\.port) == outcome.results[0].map(\.port).sorted())
    }

    @Test func rateLimitPacesConnects() throws {
        let targets = try loopbackTargets(["127.0.0.1"])
        var options = ScanOptions()
        options.rate = 400
        let start = monotonicNanoseconds()
        let outcome = ConnectEngine(options: options).scan(targets: targets, ports: try PortList(parsing: "1-100"))
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        #expect(outcome.complete)
        #expect(elapsed >= 0.2, "100 connects at 400/s take about 0.25 s, took \(elapsed)")
    }
}
