#if Capture
    import Foundation
    import ReconCore
    import ReconTestSupport
    import Testing

    @testable import ReconCapture

    /// Flow tracking, counting and JSON of handshakes, from segments made up in memory.
    struct HandshakeRecorderTests {
        static let scanner = IPAddress("10.0.0.1")!
        static let target = IPAddress("10.0.0.2")!

        static func out(_ flags: UInt8, from port: UInt16 = 40000, to target: UInt16 = 80) -> TCPSegment {
            TCPSegment(
                source: scanner, destination: Self.target, sourcePort: port, destinationPort: target, flags: flags,
                window: 64240, ttl: 64, payloadLength: 0)
        }

        static func reply(_ flags: UInt8, to port: UInt16 = 40000, from target: UInt16 = 80) -> TCPSegment {
            TCPSegment(
                source: Self.target, destination: scanner, sourcePort: target, destinationPort: port, flags: flags,
                window: 65483, ttl: 63, payloadLength: 0)
        }

        @Test func openPortHandshake() throws {
            var recorder = HandshakeRecorder(addresses: [Self.target])
            recorder.record(Self.out(0x02), time: 1_000)
            recorder.record(Self.reply(0x12), time: 1_250)
            recorder.record(Self.out(0x10), time: 1_260)
            recorder.record(Self.out(0x14), time: 1_300)
            let handshake = try #require(recorder.handshakes()[Self.target]?[80])
            #expect(handshake.compact == "S SA A RA")
            #expect(handshake.packets.map(\.flags) == ["S", "S.", ".", "R."])
            #expect(handshake.packets.map(\.direction) == [.outbound, .inbound, .outbound, .outbound])
            #expect(handshake.packets.map(\.timeMicroseconds) == [0, 250, 260, 300])
            #expect(handshake.packets[1].ttl == 63 && handshake.packets[1].window == 65483)
            #expect(handshake.wireRttMicroseconds == 250)
            #expect(handshake.wireReason == .synAck && handshake.synRetransmissions == 0)
        }

        @Test func retriesFromNewSourcePortsAndReset() throws {
            var recorder = HandshakeRecorder(addresses: [Self.target])
            recorder.record(Self.out(0x02), time: 0)
            recorder.record(Self.out(0x02), time: 1_000_000)  // retransmission, same 4-tuple
            recorder.record(Self.out(0x02, from: 40001), time: 2_000_000)  // retry on a new socket
            recorder.record(Self.reply(0x14, to: 40001), time: 2_000_040)
            let handshake = try #require(recorder.handshakes()[Self.target]?[80])
            #expect(handshake.compact == "S S S RA")
            #expect(handshake.synRetransmissions == 2)
            #expect(handshake.wireReason == .reset)
            #expect(handshake.wireRttMicroseconds == 2_000_040)
        }

        @Test func ignoresTrafficWithoutOurSyn() {
            var recorder = HandshakeRecorder(addresses: [Self.target])
            recorder.record(Self.reply(0x12), time: 0)  // no SYN seen for this flow
            recorder.record(Self.out(0x10), time: 1)
            let stranger = TCPSegment(
                source: Self.target, destination: Self.scanner, sourcePort: 5000, destinationPort: 22, flags: 0x02,
                window: 1, ttl: 1, payloadLength: 0)
            recorder.record(stranger, time: 2)  // a SYN to an address that is not a target
            #expect(recorder.handshakes().isEmpty)
        }

        @Test func loopbackTupleReusedTheOtherWayRound() {
            let loopback = IPAddress("127.0.0.1")!
            func segment(_ source: UInt16, _ destination: UInt16, _ flags: UInt8) -> TCPSegment {
                TCPSegment(
                    source: loopback, destination: loopback, sourcePort: source, destinationPort: destination,
                    flags: flags, window: 1, ttl: 64, payloadLength: 0)
            }
            var recorder = HandshakeRecorder(addresses: [loopback])
            recorder.record(segment(40000, 50000, 0x02), time: 0)  // port 50000, from source port 40000
            recorder.record(segment(50000, 40000, 0x14), time: 1)
            recorder.record(segment(50000, 40000, 0x02), time: 2)  // port 40000, from source port 50000
            recorder.record(segment(40000, 50000, 0x14), time: 3)
            let ports = recorder.handshakes()[loopback] ?? [:]
            #expect(ports[50000]?.compact == "S RA" && ports[50000]?.wireReason == .reset)
            #expect(ports[40000]?.compact == "S RA" && ports[40000]?.wireReason == .reset)
        }

        @Test func filteredPortAndPacketLimit() throws {
            var recorder = HandshakeRecorder(addresses: [Self.target])
            for attempt in 0..<40 { recorder.record(Self.out(0x02), time: Int64(attempt) * 1_000_000) }
            let handshake = try #require(recorder.handshakes()[Self.target]?[80])
            #expect(handshake.packets.count == Handshake.packetLimit)
            #expect(handshake.synRetransmissions == 39)
            #expect(handshake.wireReason == .noResponse && handshake.wireRttMicroseconds == nil)
        }

        @Test func jsonUsesSnakeCaseKeys() throws {
            let handshake = Handshake(
                packets: [
                    HandshakePacket(
                        timeMicroseconds: 0, direction: .outbound, flags: "S", window: 1, ttl: 64, length: 0)
                ],
                wireRttMicroseconds: 12, synRetransmissions: 0, wireReason: .synAck, compact: "S")
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let json = String(decoding: try encoder.encode(handshake), as: UTF8.self)
            #expect(
                json == #"{"compact":"S","packets":[{"dir":"out","flags":"S","len":0,"t_us":0,"ttl":64,"window":1}],"#
                    + #""syn_retransmits":0,"wire_reason":"syn-ack","wire_rtt_us":12}"#)
            let statistics = String(
                decoding: try encoder.encode(CaptureStatistics(received: 3, dropped: 0, interfaceDropped: 0)),
                as: UTF8.self)
            #expect(statistics == #"{"dropped":0,"interface_dropped":0,"received":3}"#)
            #expect(try JSONDecoder().decode(Handshake.self, from: try encoder.encode(handshake)) == handshake)
        }

        /// The enums' raw values are exactly the strings the checked-in JSON Schema allows.
        @Test func enumsSpellTheSchemasStrings() throws {
            let url = URL(fileURLWithPath: CommandRunner.path("schema/recon-scan-v1.schema.json"))
            let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            let definitions = try #require(schema["$defs"] as? [String: Any])
            let handshake = try #require(
                (definitions["handshake"] as? [String: Any])?["properties"] as? [String: Any])
            let reasons = try #require((handshake["wire_reason"] as? [String: Any])?["enum"] as? [String])
            #expect(Handshake.WireReason.allCases.map(\.rawValue) == reasons)
            let packet = try #require(
                ((handshake["packets"] as? [String: Any])?["items"] as? [String: Any])?["properties"]
                    as? [String: Any])
            let directions = try #require((packet["dir"] as? [String: Any])?["enum"] as? [String])
            #expect(HandshakePacket.Direction.allCases.map(\.rawValue) == directions)
        }
    }
#endif
