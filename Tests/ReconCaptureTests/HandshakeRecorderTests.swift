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

        /// Several targets and ports, a 4-tuple reused the other way round, a retried port past
        /// the packet limit and packets out of time order: each port's look-up is the handshake
        /// `handshakes()` lists for it, and ports or addresses never scanned have none.
        @Test func lookupAgreesWithHandshakes() throws {
            let second = IPAddress("::2")!
            var recorder = HandshakeRecorder(addresses: [Self.target, second, Self.target])
            var time: Int64 = 0
            func next() -> Int64 {
                time += 10
                return time
            }
            for port in UInt16(1)...300 {
                recorder.record(Self.out(0x02, from: 40000 &+ port, to: port), time: next())
                let open = port % 7 == 0
                recorder.record(Self.reply(open ? 0x12 : 0x14, to: 40000 &+ port, from: port), time: next())
                if open { recorder.record(Self.out(0x14, from: 40000 &+ port, to: port), time: next()) }
            }
            for attempt in 0..<40 {  // a filtered port retried from new source ports
                recorder.record(Self.out(0x02, from: UInt16(50000 + attempt), to: 9999), time: next())
            }
            let v6Out = TCPSegment(
                source: IPAddress("::1")!, destination: second, sourcePort: 41000, destinationPort: 443, flags: 0x02,
                window: 1, ttl: 64, payloadLength: 0)
            var v6In = v6Out
            (v6In.source, v6In.destination, v6In.sourcePort, v6In.destinationPort) = (second, v6Out.source, 443, 41000)
            v6In.flags = 0x12
            recorder.record(v6In, time: 3_000)  // before its SYN: not ours
            recorder.record(v6Out, time: 4_000)
            recorder.record(v6In, time: 5_000)

            let index = recorder.index()
            let all = recorder.handshakes()
            #expect(all[Self.target]?.count == 301 && all[second]?.count == 1)
            #expect(index.count == 302)
            for (address, ports) in all {
                for (port, handshake) in ports {
                    #expect(index.handshake(for: address, port: port) == handshake, "\(address) \(port)")
                }
            }
            #expect(index.handshake(for: Self.target, port: 7)?.compact == "S SA RA")
            #expect(index.handshake(for: Self.target, port: 8)?.compact == "S RA")
            let filtered = try #require(index.handshake(for: Self.target, port: 9999))
            #expect(filtered.packets.count == Handshake.packetLimit && filtered.synRetransmissions == 39)
            let v6 = try #require(index.handshake(for: second, port: 443))
            #expect(v6.compact == "S SA" && v6.packets.map(\.timeMicroseconds) == [0, 1_000])
            #expect(v6.wireReason == .synAck && v6.wireRttMicroseconds == 1_000)
            #expect(index.handshake(for: Self.target, port: 301) == nil)
            #expect(index.handshake(for: Self.target, port: 0) == nil)
            #expect(index.handshake(for: second, port: 80) == nil)
            #expect(index.handshake(for: Self.scanner, port: 40001) == nil)  // not a target
        }

        /// Packets that arrive out of time order are put in time order, ties kept as they came.
        @Test func packetsAreSortedByTimeStably() throws {
            var recorder = HandshakeRecorder(addresses: [Self.target])
            recorder.record(Self.out(0x02), time: 100)
            recorder.record(Self.out(0x10), time: 300)
            recorder.record(Self.reply(0x12), time: 200)
            recorder.record(Self.out(0x14), time: 300)
            let handshake = try #require(recorder.index().handshake(for: Self.target, port: 80))
            #expect(handshake.compact == "S SA A RA")
            #expect(handshake.packets.map(\.timeMicroseconds) == [0, 100, 200, 200])
        }

        /// A record is 32 bytes; the log grows a chunk at a time and stops at its capacity,
        /// counting what it could not keep.
        @Test func logKeepsRecordsInChunksUpToItsCapacity() {
            #expect(MemoryLayout<PacketRecord>.stride == 32)
            let log = PacketLog(capacity: 2 * PacketLog.chunkRecords)
            let offered = 2 * PacketLog.chunkRecords + 5
            for index in 0..<offered {
                log.append(
                    PacketRecord(
                        time: Int64(index), source: UInt32(index), destination: 1,
                        sourcePort: UInt16(truncatingIfNeeded: index),
                        destinationPort: 2, window: 3, length: 4, flags: 5, ttl: 6))
            }
            #expect(log.count == 2 * PacketLog.chunkRecords && log.overflow == 5)
            let samples = [0, 1, PacketLog.chunkRecords - 1, PacketLog.chunkRecords, log.count - 1]
            #expect(samples.allSatisfy { log[$0].time == Int64($0) && log[$0].source == UInt32($0) })
        }
    }
#endif
