import Glibc
import Testing

@testable import ReconCore

@Suite("Classification by errno")
struct ClassificationTests {
    @Test(
        arguments: [
            (Int32(0), ConnectOutcome.final(.open, .synAck)),
            (ECONNREFUSED, .final(.closed, .connRefused)),
            (EHOSTUNREACH, .final(.filtered, .hostUnreach)),
            (ENETUNREACH, .final(.filtered, .netUnreach)),
            (EACCES, .final(.filtered, .adminProhibited)),
            (EPERM, .final(.filtered, .adminProhibited)),
            (ETIMEDOUT, .timedOut),
            (EMFILE, .localFailure),
            (ENFILE, .localFailure),
            (ENOBUFS, .localFailure),
            (EADDRNOTAVAIL, .localFailure),
            (ECONNRESET, .final(.error, .otherError)),
        ])
    func classify(errno code: Int32, outcome: ConnectOutcome) {
        #expect(ConnectOutcome.classify(errno: code) == outcome)
    }

    @Test func localFailuresAreNeverClosed() {
        for code in [EMFILE, ENFILE, ENOBUFS, EADDRNOTAVAIL, EAGAIN, ENOMEM] {
            #expect(ConnectOutcome.classify(errno: code) == .localFailure)
        }
    }
}

@Suite("Round-trip estimator")
struct RTTEstimatorTests {
    let policy = TimeoutPolicy.adaptive(initial: 1_000_000_000, minimum: 100_000_000, maximum: 10_000_000_000)

    @Test func initialTimeoutBeforeAnswers() {
        #expect(RTTEstimator().timeout(policy) == 1_000_000_000)
    }

    @Test func fastHostClampsToMinimum() {
        var estimator = RTTEstimator()
        for _ in 0..<50 { estimator.add(50_000) }
        #expect(estimator.timeout(policy) == 100_000_000)
        #expect(estimator.smoothed == 50_000)
    }

    @Test func slowHostGrowsTimeout() {
        var estimator = RTTEstimator()
        for sample in [200_000_000, 300_000_000, 250_000_000] as [Int64] { estimator.add(sample) }
        let timeout = estimator.timeout(policy)
        #expect(timeout > 300_000_000)
        #expect(timeout < 2_000_000_000)
    }

    @Test func clampsToMaximumAndFixedWins() {
        var estimator = RTTEstimator()
        estimator.add(9_000_000_000)
        #expect(estimator.timeout(policy) == 10_000_000_000)
        #expect(estimator.timeout(.fixed(42)) == 42)
    }
}

@Suite("Durations")
struct DurationTextTests {
    @Test(arguments: [
        ("500ms", Int64(500_000_000)), ("2s", 2_000_000_000), ("1.5", 1_500_000_000), ("1m", 60_000_000_000),
    ])
    func valid(text: String, nanoseconds: Int64) throws {
        #expect(try DurationText.nanoseconds(text, option: "--timeout") == nanoseconds)
    }

    @Test(arguments: ["", "abc", "-1s", "0", "2d", "5h"])
    func invalid(text: String) {
        #expect(throws: DurationError.self) { try DurationText.nanoseconds(text, option: "--timeout") }
    }
}
