#if Capture
    import ReconCore

    /// What the reading thread keeps of each captured segment: one 32-byte record in a
    /// `PacketLog`, nothing else. Flows and ports are sorted out later, once, by `HandshakeIndex`
    /// (after the capture stopped), so a packet costs the reading thread a decode, an address
    /// look-up (mostly a comparison with the last address seen) and a copy.
    ///
    /// A segment is kept when its source or destination is a target; the other side's address
    /// joins the address table (at most `otherAddressLimit` of them).
    struct HandshakeRecorder {
        /// Addresses that are not targets, at most (the scanner's own, mostly).
        static let otherAddressLimit = 4096

        /// The address table: the targets first (indexes below `targetCount`), then the other
        /// addresses in the order they were seen.
        private(set) var addresses: [IPAddress]
        let targetCount: Int
        let log: PacketLog
        private var indexes: [IPAddress: UInt32]
        /// The two addresses looked up last, most recent first.
        private var recent: (IPAddress, UInt32)
        private var earlier: (IPAddress, UInt32)

        init(addresses targets: some Sequence<IPAddress>, log: PacketLog = PacketLog()) {
            var seen = Set<IPAddress>()
            addresses = targets.filter { seen.insert($0).inserted }
            targetCount = addresses.count
            indexes = Dictionary(uniqueKeysWithValues: addresses.enumerated().map { ($1, UInt32($0)) })
            self.log = log
            // Starts with a target that is no address's index when there is none.
            let first = addresses.first.map { ($0, UInt32(0)) } ?? (.v4(0), UInt32.max)
            recent = first
            earlier = first
        }

        /// Adds one segment captured at `time` (microseconds since the epoch).
        @inline(__always)
        mutating func record(_ segment: TCPSegment, time: Int64) {
            var source = index(of: segment.source)
            var destination = index(of: segment.destination)
            guard isTarget(source) || isTarget(destination) else { return }
            if source == nil { source = add(segment.source) }
            if destination == nil { destination = add(segment.destination) }
            guard let source, let destination else { return }
            log.append(
                PacketRecord(
                    time: time, source: source, destination: destination, sourcePort: segment.sourcePort,
                    destinationPort: segment.destinationPort, window: segment.window,
                    length: UInt16(clamping: segment.payloadLength), flags: segment.flags, ttl: segment.ttl))
        }

        /// Sorts the log into flows and ports; call when no more segments come.
        func index() -> HandshakeIndex {
            HandshakeIndex(log: log, addresses: addresses, targetCount: targetCount)
        }

        /// The handshakes recorded, by address and port.
        func handshakes() -> [IPAddress: [UInt16: Handshake]] { index().handshakes() }

        private func isTarget(_ index: UInt32?) -> Bool { index.map { Int($0) < targetCount } ?? false }

        @inline(__always)
        private mutating func index(of address: IPAddress) -> UInt32? {
            if recent.0 == address && recent.1 != .max { return recent.1 }
            if earlier.0 == address && earlier.1 != .max {
                swap(&recent, &earlier)
                return recent.1
            }
            guard let index = indexes[address] else { return nil }
            earlier = recent
            recent = (address, index)
            return index
        }

        private mutating func add(_ address: IPAddress) -> UInt32? {
            guard addresses.count < targetCount + Self.otherAddressLimit else { return nil }
            let index = UInt32(addresses.count)
            addresses.append(address)
            indexes[address] = index
            return index
        }
    }

    /// The captured packets sorted into per-port handshakes, built once from a `PacketLog`.
    ///
    /// A connection is known by its SYN: a SYN (without ACK) to a target address starts a flow,
    /// and later segments of that 4-tuple, either way, belong to it; a SYN the other way round
    /// ends the flow it reuses (on loopback an earlier connection may have used the 4-tuple with
    /// the target port as its source port). Segments of flows whose SYN was not seen (traffic
    /// that started before the capture) are ignored. Within a port, packets are taken in the
    /// order they arrived.
    ///
    /// Built by two sorts of the log's indexes (by 4-tuple, then by port) and kept as sorted
    /// arrays, so a port's look-up is a binary search and the index costs about 30 bytes a packet
    /// next to the log's 32.
    struct HandshakeIndex: Sendable {
        private let log: PacketLog
        private let addresses: [IPAddress]
        private let targets: [IPAddress: UInt32]
        /// Scanned ports, ascending: address index << 16 | port.
        private let keys: [UInt64]
        /// The packets of `keys[i]` are `entries[starts[i]..<starts[i + 1]]`.
        private let starts: [Int32]
        /// Log index << 1 | 1 when outbound (from the side that sent the SYN), in arrival order per port.
        private let entries: [UInt32]

        init(log: PacketLog, addresses: [IPAddress], targetCount: Int) {
            self.log = log
            self.addresses = addresses
            targets = Dictionary(
                uniqueKeysWithValues: addresses.prefix(targetCount).enumerated().map { ($1, UInt32($0)) })
            let sorted = Self.packetsByPort(log, targetCount: targetCount)
            var keys: [UInt64] = []
            var starts: [Int32] = []
            var entries: [UInt32] = []
            entries.reserveCapacity(sorted.count)
            for key in sorted {
                let port = UInt64(truncatingIfNeeded: key >> 64)
                if keys.last != port {
                    keys.append(port)
                    starts.append(Int32(entries.count))
                }
                entries.append(UInt32(truncatingIfNeeded: key))
            }
            starts.append(Int32(entries.count))
            self.keys = keys
            self.starts = starts
            self.entries = entries
        }

        /// The log's packets that belong to a flow, each as port << 64 | log index << 1 | outbound,
        /// sorted: by port, then in arrival order.
        private static func packetsByPort(_ log: PacketLog, targetCount: Int) -> [UInt128] {
            // First by connection (the two endpoints, lower first) in arrival order: each
            // connection's packets are then walked as they came, and told which side sent the SYN.
            var sorted = [UInt128]()
            sorted.reserveCapacity(log.count)
            for index in 0..<log.count {
                let record = log[index]
                let (source, destination) = Self.endpoints(record)
                let (low, high) = source <= destination ? (source, destination) : (destination, source)
                sorted.append(UInt128(low) << 80 | UInt128(high) << 32 | UInt128(index))
            }
            sorted.sort()
            var kept = 0
            var connection = UInt128.max
            var client: UInt64?
            for position in sorted.indices {
                let key = sorted[position]
                if key >> 32 != connection {
                    connection = key >> 32
                    client = nil
                }
                let index = Int(truncatingIfNeeded: key & 0xFFFF_FFFF)
                let record = log[index]
                let (source, destination) = Self.endpoints(record)
                let port: UInt64
                let outbound: Bool
                if client == source {
                    (port, outbound) = (destination, true)
                } else if record.flags & 0x12 == 0x02, Int(record.destination) < targetCount {
                    client = source
                    (port, outbound) = (destination, true)
                } else if client == destination {
                    (port, outbound) = (source, false)
                } else {
                    continue
                }
                // Written over keys already read: `kept` never passes `position`.
                sorted[kept] = UInt128(port) << 64 | UInt128(index << 1 | (outbound ? 1 : 0))
                kept += 1
            }
            sorted.removeLast(sorted.count - kept)
            sorted.sort()
            return sorted
        }

        /// Source and destination as address index << 16 | port.
        @inline(__always)
        private static func endpoints(_ record: PacketRecord) -> (UInt64, UInt64) {
            (
                UInt64(record.source) << 16 | UInt64(record.sourcePort),
                UInt64(record.destination) << 16 | UInt64(record.destinationPort)
            )
        }

        /// The handshake of `address`:`port`; nil when no connection to it was captured.
        func handshake(for address: IPAddress, port: UInt16) -> Handshake? {
            guard let target = targets[address] else { return nil }
            let key = UInt64(target) << 16 | UInt64(port)
            var (low, high) = (0, keys.count)
            while low < high {
                let middle = (low + high) / 2
                if keys[middle] < key { low = middle + 1 } else { high = middle }
            }
            guard low < keys.count, keys[low] == key else { return nil }
            return handshake(at: low)
        }

        /// Every port's handshake, by address and port.
        func handshakes() -> [IPAddress: [UInt16: Handshake]] {
            var result: [IPAddress: [UInt16: Handshake]] = [:]
            var position = 0
            while position < keys.count {
                let target = keys[position] >> 16
                var end = position
                while end < keys.count, keys[end] >> 16 == target { end += 1 }
                var ports = [UInt16: Handshake](minimumCapacity: end - position)
                for index in position..<end {
                    ports[UInt16(truncatingIfNeeded: keys[index])] = handshake(at: index)
                }
                result[addresses[Int(target)]] = ports
                position = end
            }
            return result
        }

        /// Ports with a handshake.
        var count: Int { keys.count }

        /// The handshake of `keys[position]`: its packets in arrival order, at most
        /// `Handshake.packetLimit` of them kept (all counted), then put in time order.
        private func handshake(at position: Int) -> Handshake {
            let range = Int(starts[position])..<Int(starts[position + 1])
            return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Handshake.packetLimit) { kept in
                var keptCount = 0
                var synsOut = 0
                var firstSynOut: Int64?
                var firstReply: (time: Int64, reset: Bool)?
                for entry in entries[range] {
                    let record = log[Int(entry >> 1)]
                    let outbound = entry & 1 == 1
                    let syn = record.flags & 0x12 == 0x02
                    let synAck = record.flags & 0x12 == 0x12
                    let reset = record.flags & 0x04 != 0
                    if outbound, syn {
                        synsOut += 1
                        if firstSynOut == nil { firstSynOut = record.time }
                    } else if !outbound, firstSynOut != nil, firstReply == nil, synAck || reset {
                        firstReply = (record.time, reset && !synAck)
                    }
                    if keptCount < Handshake.packetLimit {
                        kept[keptCount] = entry
                        keptCount += 1
                    }
                }
                // Stable insertion sort by time: the packets nearly always arrive in time order.
                for next in 1..<max(1, keptCount) {
                    let entry = kept[next]
                    let time = log[Int(entry >> 1)].time
                    var slot = next
                    while slot > 0, log[Int(kept[slot - 1] >> 1)].time > time {
                        kept[slot] = kept[slot - 1]
                        slot -= 1
                    }
                    kept[slot] = entry
                }
                let start = keptCount > 0 ? log[Int(kept[0] >> 1)].time : 0
                var packets: [HandshakePacket] = []
                packets.reserveCapacity(keptCount)
                var compact = ""
                for entry in kept.prefix(keptCount) {
                    let record = log[Int(entry >> 1)]
                    packets.append(
                        HandshakePacket(
                            timeMicroseconds: record.time - start, direction: entry & 1 == 1 ? .outbound : .inbound,
                            flags: TCPFlags.tcpdump(record.flags), window: Int(record.window), ttl: Int(record.ttl),
                            length: Int(record.length)))
                    if !compact.isEmpty { compact += " " }
                    compact += TCPFlags.compact(record.flags)
                }
                let reason: Handshake.WireReason = firstReply.map { $0.reset ? .reset : .synAck } ?? .noResponse
                return Handshake(
                    packets: packets,
                    wireRttMicroseconds: firstReply.flatMap { reply in firstSynOut.map { reply.time - $0 } },
                    synRetransmissions: max(0, synsOut - 1), wireReason: reason, compact: compact)
            }
        }
    }
#endif
