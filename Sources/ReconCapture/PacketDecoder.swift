#if Capture
    import ReconCore

    /// The fields of one captured TCP segment that a handshake needs.
    struct TCPSegment: Equatable, Sendable {
        var source: IPAddress
        var destination: IPAddress
        var sourcePort: UInt16
        var destinationPort: UInt16
        /// The flags byte: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80.
        var flags: UInt8
        var window: UInt16
        /// IPv4 TTL or IPv6 hop limit.
        var ttl: UInt8
        /// Payload length from the IP length fields (not from the captured bytes, which stop at the snaplen).
        var payloadLength: Int
    }

    /// Decodes link, IP and TCP headers from captured bytes. Returns nil for anything that is not
    /// a complete-enough TCP header: other protocols, later IP fragments, truncated packets.
    enum PacketDecoder {
        /// Link types libpcap reports (`pcap_datalink`) that the decoder understands.
        enum LinkType: Int32 {
            case null = 0  // DLT_NULL: 4-byte address family in host order
            case ethernet = 1  // DLT_EN10MB, also Linux's `lo`
            case raw = 12  // DLT_RAW on Linux
            case rawBSD = 14  // DLT_RAW on BSD/OS
            case rawLinktype = 101  // LINKTYPE_RAW as stored in files
            case loop = 108  // DLT_LOOP: 4-byte address family in network order
            case linuxSLL = 113  // DLT_LINUX_SLL, the "any" device
            case linuxSLL2 = 276  // DLT_LINUX_SLL2
        }

        static func decode(linkType: LinkType, _ bytes: UnsafeRawBufferPointer) -> TCPSegment? {
            let reader = ByteReader(bytes)
            guard let offset = networkOffset(linkType, reader) else { return nil }
            guard let version = reader.u8(offset).map({ $0 >> 4 }) else { return nil }
            switch version {
            case 4: return ipv4(reader, at: offset)
            case 6: return ipv6(reader, at: offset)
            default: return nil
            }
        }

        /// Where the IP header starts; nil when the link header names neither IPv4 nor IPv6.
        private static func networkOffset(_ linkType: LinkType, _ reader: ByteReader) -> Int? {
            let isIP = { (type: UInt16) in type == 0x0800 || type == 0x86DD }
            switch linkType {
            case .null, .loop: return 4
            case .raw, .rawBSD, .rawLinktype: return 0
            case .linuxSLL: return reader.u16(14).flatMap { isIP($0) ? 16 : nil }
            case .linuxSLL2: return reader.u16(0).flatMap { isIP($0) ? 20 : nil }
            case .ethernet:
                var etherType = reader.u16(12)
                var offset = 14
                while offset < 22, etherType == 0x8100 || etherType == 0x88A8 {  // up to two VLAN tags
                    etherType = reader.u16(offset + 2)
                    offset += 4
                }
                return etherType.flatMap { isIP($0) ? offset : nil }
            }
        }

        private static func ipv4(_ reader: ByteReader, at start: Int) -> TCPSegment? {
            guard let first = reader.u8(start), let total = reader.u16(start + 2),
                let fragment = reader.u16(start + 6), let ttl = reader.u8(start + 8),
                reader.u8(start + 9) == 6,
                let source = reader.u32(start + 12), let destination = reader.u32(start + 16)
            else { return nil }
            guard fragment & 0x1FFF == 0 else { return nil }  // a later fragment has no TCP header
            let headerLength = Int(first & 0x0F) * 4
            guard headerLength >= 20 else { return nil }
            return tcp(
                reader, at: start + headerLength, source: .v4(source), destination: .v4(destination), ttl: ttl,
                ipPayload: Int(total) - headerLength)
        }

        private static func ipv6(_ reader: ByteReader, at start: Int) -> TCPSegment? {
            guard let payload = reader.u16(start + 4), var next = reader.u8(start + 6),
                let hopLimit = reader.u8(start + 7),
                let source = reader.u128(start + 8), let destination = reader.u128(start + 24)
            else { return nil }
            var offset = start + 40
            var remaining = Int(payload)
            var headers = 0
            while next != 6 {
                headers += 1
                guard headers <= 8 else { return nil }
                let length: Int
                switch next {
                case 0, 43, 60:  // hop-by-hop, routing, destination options
                    guard let units = reader.u8(offset + 1) else { return nil }
                    length = (Int(units) + 1) * 8
                case 44:  // fragment: only the first fragment carries the TCP header
                    guard let fragment = reader.u16(offset + 2), fragment & 0xFFF8 == 0 else { return nil }
                    length = 8
                case 51:  // authentication header
                    guard let units = reader.u8(offset + 1) else { return nil }
                    length = (Int(units) + 2) * 4
                default:
                    return nil
                }
                guard let following = reader.u8(offset) else { return nil }
                next = following
                offset += length
                remaining -= length
            }
            return tcp(
                reader, at: offset, source: .v6(source), destination: .v6(destination), ttl: hopLimit,
                ipPayload: remaining)
        }

        private static func tcp(
            _ reader: ByteReader, at start: Int, source: IPAddress, destination: IPAddress, ttl: UInt8, ipPayload: Int
        ) -> TCPSegment? {
            guard let sourcePort = reader.u16(start), let destinationPort = reader.u16(start + 2),
                let offsetByte = reader.u8(start + 12), let flags = reader.u8(start + 13),
                let window = reader.u16(start + 14)
            else { return nil }
            let headerLength = Int(offsetByte >> 4) * 4
            return TCPSegment(
                source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort,
                flags: flags, window: window, ttl: ttl, payloadLength: max(0, ipPayload - headerLength))
        }
    }

    /// Bounds-checked big-endian reads from captured bytes.
    struct ByteReader {
        let bytes: UnsafeRawBufferPointer

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        func u8(_ offset: Int) -> UInt8? {
            offset >= 0 && offset < bytes.count ? bytes[offset] : nil
        }

        func u16(_ offset: Int) -> UInt16? { big(offset, 2).map { UInt16(truncatingIfNeeded: $0) } }
        func u32(_ offset: Int) -> UInt32? { big(offset, 4).map { UInt32(truncatingIfNeeded: $0) } }
        func u128(_ offset: Int) -> UInt128? { big(offset, 16) }

        /// `count` bytes at `offset` as a big-endian number; nil past the end.
        private func big(_ offset: Int, _ count: Int) -> UInt128? {
            guard offset >= 0, offset + count <= bytes.count else { return nil }
            var value: UInt128 = 0
            for index in offset..<(offset + count) { value = value << 8 | UInt128(bytes[index]) }
            return value
        }
    }

    /// TCP flag text, looked up in tables made once.
    enum TCPFlags {
        /// tcpdump's compact form: F S R P . U E W in that order, `none` when no flag is set.
        static func tcpdump(_ flags: UInt8) -> String { tcpdumpTable[Int(flags)] }

        /// The table form: tcpdump's, with ACK written `A` (`S.` becomes `SA`, `.` becomes `A`).
        static func compact(_ flags: UInt8) -> String { compactTable[Int(flags)] }

        private static let tcpdumpTable: [String] = (0...255).map { flags in
            let letters: [Character] = ["F", "S", "R", "P", ".", "U", "E", "W"]
            let text = String(letters.indices.filter { flags & (1 << $0) != 0 }.map { letters[$0] })
            return text.isEmpty ? "none" : text
        }

        private static let compactTable: [String] = tcpdumpTable.map { String($0.map { $0 == "." ? "A" : $0 }) }
    }
#endif
