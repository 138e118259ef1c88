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
                let (_, results) = ConnectEngine(options: options, shouldStop: { 0 }).scanCollecting(
                    targets: try loopbackTargets(["127.0.0.1"]), ports: try PortList(parsing: "1-65535"))
                let scanned = ContinuousClock.now - started
                let statistics = capture.stop()
                let handshakes = capture.handshakes()[loopback4] ?? [:]
                return (
                    open: Set(listeners.map(\.port)), results: results[0], statistics: statistics,
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

        /// 100 listeners, every port of 127.0.0.1: each port the engine reports has a handshake by
        /// `handshake(for:port:)`, the same one `handshakes()` lists; each open port's is SYN,
        /// SYN-ACK, ACK, RST in that order, and closed ones start with SYN, RST-ACK.
        @Test func hundredListenersEveryPortByLookup() async throws {
            let namespace = try NetworkNamespace()
            let seen = try await onNamespaceThread(namespace.name) {
                let listeners = (0..<100).map { _ in TestSocket() }
                var options = ScanOptions()
                options.threads = 1  // the engine then connects on this thread, inside the namespace
                let capture = try ScanCapture(addresses: [loopback4], pcapOut: nil)
                let (_, results) = ConnectEngine(options: options, shouldStop: { 0 }).scanCollecting(
                    targets: try loopbackTargets(["127.0.0.1"]), ports: try PortList(parsing: "1-65535"))
                let statistics = capture.stop()
                let started = ContinuousClock.now
                let looked = results[0].map { ($0, capture.handshake(for: loopback4, port: $0.port)) }
                let lookups = ContinuousClock.now - started
                return (
                    open: listeners.map(\.port), looked: looked, all: capture.handshakes()[loopback4] ?? [:],
                    statistics: statistics, lookups: lookups,
                    strangers: [
                        capture.handshake(for: loopback6, port: 80), capture.handshake(for: loopback4, port: 0),
                    ]
                )
            }
            #expect(seen.statistics.dropped == 0)
            #expect(seen.looked.count == 65535 && seen.all.count == 65535)
            #expect(seen.looked.filter { $0.0.state == .open }.map(\.0.port).sorted() == seen.open.sorted())
            #expect(seen.looked.allSatisfy { $0.1 != nil }, "every scanned port has a handshake")
            #expect(seen.looked.allSatisfy { $0.1 == seen.all[$0.0.port] }, "look-up and handshakes() agree")
            #expect(seen.strangers == [nil, nil])
            for port in seen.open {
                let handshake = try #require(seen.looked.first { $0.0.port == port }?.1)
                #expect(handshake.packets.map(\.flags) == ["S", "S.", ".", "R."], "port \(port)")
                #expect(handshake.packets.map(\.direction) == [.outbound, .inbound, .outbound, .outbound])
                #expect(handshake.wireReason == .synAck && handshake.wireRttMicroseconds != nil)
            }
            // Every 97th closed port (self-connects aside): SYN out, RST-ACK in.
            let closed = seen.looked.filter { $0.0.state == .closed && $0.0.reason != .selfConnect }
            let sample = stride(from: 0, to: closed.count, by: 97).map { closed[$0] }
            #expect(sample.count > 600)
            for (result, handshake) in sample {
                let packets = handshake?.packets.map { "\($0.direction.rawValue) \($0.flags)" } ?? []
                // Exactly these two; a port inside the (default) ephemeral range may first have met
                // another of the scan's own sockets (TCP simultaneous open, which the engine retries
                // from another source port), and the capture keeps those packets too.
                let answers = packets.filter { $0.hasPrefix("in ") }
                #expect(
                    packets.first == "out S" && answers.last == "in R."
                        && (packets.count == 2 || (32768...60999).contains(result.port)),
                    "port \(result.port): \(handshake?.compact ?? "none")")
                #expect(handshake?.wireReason == .reset)
            }
            // The first look-up builds the index; all 65535 take a fraction of a second (the bound
            // is loose for debug builds on a busy machine).
            #expect(seen.lookups < .seconds(5), "\(seen.lookups)")
        }
    }
#endif
