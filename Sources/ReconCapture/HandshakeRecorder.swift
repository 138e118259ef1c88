#if Capture
    import ReconCore

    /// Sorts captured segments into per-port handshakes. A connection is known by its SYN:
    /// a SYN (without ACK) to a target address starts a flow, and later segments of that
    /// 4-tuple, either way, belong to it. Segments of flows whose SYN was not seen (traffic
    /// that started before the capture) are ignored.
    struct HandshakeRecorder {
        /// A TCP connection, named from the side that sent the SYN.
        struct Flow: Hashable {
            var client: IPAddress
            var clientPort: UInt16
            var server: IPAddress
            var serverPort: UInt16
        }

        /// A scanned port.
        struct Target: Hashable {
            var address: IPAddress
            var port: UInt16
        }

        /// One packet as stored: 16 bytes, whatever the capture saw.
        struct Packet {
            var time: Int64
            var outbound: Bool
            var flags: UInt8
            var ttl: UInt8
            var window: UInt16
            var length: UInt16
        }

        /// What the wire said about one port so far.
        struct Record {
            var packets: [Packet] = []
            var firstSynOut: Int64?
            var synsOut = 0
            /// Time of the first SYN-ACK or RST in, and whether it was an RST.
            var firstReply: (time: Int64, reset: Bool)?
        }

        /// Flows remembered at most; beyond this new connections are not recorded.
        static let flowLimit = 1 << 20

        private let addresses: Set<IPAddress>
        private var flows: [Flow: Target] = [:]
        private var records: [Target: Record] = [:]

        init(addresses: some Sequence<IPAddress>) {
            self.addresses = Set(addresses)
        }

        /// Adds one segment captured at `time` (microseconds since the epoch).
        mutating func record(_ segment: TCPSegment, time: Int64) {
            let forward = Flow(
                client: segment.source, clientPort: segment.sourcePort, server: segment.destination,
                serverPort: segment.destinationPort)
            let reverse = Flow(
                client: segment.destination, clientPort: segment.destinationPort, server: segment.source,
                serverPort: segment.sourcePort)
            let isSyn = segment.flags & 0x12 == 0x02
            if let target = flows[forward] {
                append(segment, time: time, outbound: true, to: target)
            } else if isSyn, addresses.contains(segment.destination), flows.count < Self.flowLimit {
                // On loopback an earlier connection may have used this 4-tuple the other way
                // round (its source port is our target port): that one is over, forget it.
                flows[reverse] = nil
                let target = Target(address: segment.destination, port: segment.destinationPort)
                flows[forward] = target
                append(segment, time: time, outbound: true, to: target)
            } else if let target = flows[reverse] {
                append(segment, time: time, outbound: false, to: target)
            }
        }

        private mutating func append(_ segment: TCPSegment, time: Int64, outbound: Bool, to target: Target) {
            records[target, default: Record()].add(
                Packet(
                    time: time, outbound: outbound, flags: segment.flags, ttl: segment.ttl, window: segment.window,
                    length: UInt16(clamping: segment.payloadLength)))
        }

        /// The handshakes recorded, by address and port.
        func handshakes() -> [IPAddress: [UInt16: Handshake]] {
            var result: [IPAddress: [UInt16: Handshake]] = [:]
            for (target, record) in records {
                result[target.address, default: [:]][target.port] = record.handshake()
            }
            return result
        }
    }

    extension HandshakeRecorder.Record {
        mutating func add(_ packet: HandshakeRecorder.Packet) {
            let syn = packet.flags & 0x12 == 0x02
            let synAck = packet.flags & 0x12 == 0x12
            let reset = packet.flags & 0x04 != 0
            if packet.outbound, syn {
                synsOut += 1
                if firstSynOut == nil { firstSynOut = packet.time }
            } else if !packet.outbound, firstSynOut != nil, firstReply == nil, synAck || reset {
                firstReply = (packet.time, reset && !synAck)
            }
            if packets.count < Handshake.packetLimit { packets.append(packet) }
        }

        func handshake() -> Handshake {
            let inOrder = zip(packets, packets.dropFirst()).allSatisfy { $0.time <= $1.time }
            let ordered =
                inOrder
                ? packets
                : packets.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(
                    \.element)
            let start = ordered.first?.time ?? 0
            let wire = ordered.map { packet in
                HandshakePacket(
                    timeMicroseconds: packet.time - start, direction: packet.outbound ? .outbound : .inbound,
                    flags: TCPFlags.tcpdump(packet.flags), window: Int(packet.window), ttl: Int(packet.ttl),
                    length: Int(packet.length))
            }
            let reason: Handshake.WireReason = firstReply.map { $0.reset ? .reset : .synAck } ?? .noResponse
            return Handshake(
                packets: wire,
                wireRttMicroseconds: firstReply.flatMap { reply in firstSynOut.map { reply.time - $0 } },
                synRetransmissions: max(0, synsOut - 1), wireReason: reason,
                compact: ordered.map { TCPFlags.compact($0.flags) }.joined(separator: " "))
        }
    }
#endif
