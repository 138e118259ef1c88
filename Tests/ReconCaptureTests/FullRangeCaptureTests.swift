#if Capture
    import Foundation
    import ReconCapture
    import ReconCore
    import ReconTestSupport
    import Testing

    /// The real engine scans every port of 127.0.0.1 inside a namespace while the capture
    /// runs with the default buffer: nothing may be dropped, and the wire agrees with the engine.
    @Suite(.enabled(if: liveCaptureAvailable, "needs root, ip and iptables"))
    struct FullRangeCaptureTests {
        @Test func everyPortOfLoopbackWithoutDrops() async throws {
            let namespace = try NetworkNamespace()
            let bufferSize = ProcessInfo.processInfo.environment["RECON_CAPTURE_BUFFER"].flatMap { Int($0) } ?? 8 << 20
            let seen = try await onNamespaceThread(namespace.name) {
                let listeners = (0..<3).map { _ in TestSocket() }
                var options = ScanOptions()
                options.threads = 1  // the engine then connects on this thread, inside the namespace
                let capture = try ScanCapture(addresses: [loopback4], bufferSize: bufferSize, pcapOut: nil)
                let started = ContinuousClock.now
                let outcome = ConnectEngine(options: options, shouldStop: { 0 }).scan(
                    targets: try loopbackTargets(["127.0.0.1"]), ports: try PortList(parsing: "1-65535"))
                let scanned = ContinuousClock.now - started
                let statistics = capture.stop()
                let handshakes = capture.handshakes()[loopback4] ?? [:]
                return (
                    open: Set(listeners.map(\.port)), results: outcome.results[0], statistics: statistics,
                    handshakes: handshakes, scanned: scanned, total: ContinuousClock.now - started
                )
            }
            #expect(seen.statistics.dropped == 0, "received \(seen.statistics.received), buffer \(bufferSize)")
            #expect(seen.results.count == 65535 && seen.handshakes.count == 65535)
            #expect(seen.results.filter { $0.state == .open }.map(\.port).sorted() == seen.open.sorted())
            var disagreements: [String] = []
            for result in seen.results where result.reason != .selfConnect {
                let wire = seen.handshakes[result.port]?.wireReason
                let expected: Handshake.WireReason = result.state == .open ? .synAck : .reset
                if wire != expected {
                    disagreements.append("\(result.port): \(result.state) but \(wire?.rawValue ?? "nothing")")
                }
            }
            #expect(disagreements.count == 0, "first: \(disagreements.prefix(5))")
            #expect(seen.handshakes.values.filter { $0.compact == "S RA" }.count >= 65535 - 3 - 100)
            let report =
                "full range: scan \(seen.scanned), with stop \(seen.total); received \(seen.statistics.received), "
                + "dropped \(seen.statistics.dropped), buffer \(bufferSize)"
            Attachment.record(report, named: "measurement.txt")
            if ProcessInfo.processInfo.environment["RECON_CAPTURE_REPORT"] != nil {
                FileHandle.standardError.write(Data((report + "\n").utf8))
            }
        }
    }
#endif
