#if Capture
    import ReconCore
    import Testing

    @testable import ReconCapture

    /// Header bytes built by hand, decoded as libpcap would deliver them.
    struct PacketDecoderTests {
        /// TCP header: ports 40000 -> 80, data offset 5 (or 8 with options), flags, window 65535.
        static func tcp(flags: UInt8, options: Bool = false) -> [UInt8] {
            var header: [UInt8] = [
                0x9C, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, options ? 0x80 : 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0,
            ]
            if options { header += [UInt8](repeating: 1, count: 12) }
            return header
        }

        /// IPv4 127.0.0.1 -> 127.0.0.2, TTL 64, with `optionWords` words of IP options.
        static func ipv4(_ tcp: [UInt8], payload: Int = 0, optionWords: Int = 0, fragmentOffset: UInt16 = 0) -> [UInt8]
        {
            let headerLength = 20 + optionWords * 4
            let total = headerLength + tcp.count + payload
            var header: [UInt8] = [
                0x40 | UInt8(5 + optionWords), 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0,
                UInt8(fragmentOffset >> 8), UInt8(fragmentOffset & 0xFF), 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2,
            ]
            header += [UInt8](repeating: 1, count: optionWords * 4)  // NOP options
            return header + tcp
        }

        /// IPv6 ::1 -> ::2, hop limit 63, with a hop-by-hop and a destination-options header.
        static func ipv6(_ tcp: [UInt8], payload: Int = 0) -> [UInt8] {
            let extensions: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0] + [6, 0, 1, 4, 0, 0, 0, 0]
            let length = extensions.count + tcp.count + payload
            var header: [UInt8] = [0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 63]
            header += [UInt8](repeating: 0, count: 15) + [1] + [UInt8](repeating: 0, count: 15) + [2]
            return header + extensions + tcp
        }

        static func decode(_ link: PacketDecoder.LinkType, _ bytes: [UInt8]) -> TCPSegment? {
            bytes.withUnsafeBytes { PacketDecoder.decode(linkType: link, $0) }
        }

        static let ethernetIPv4: [UInt8] = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
        static let ethernetIPv6: [UInt8] = [UInt8](repeating: 0, count: 12) + [0x86, 0xDD]

        @Test func ethernetIPv4WithOptions() throws {
            let segment = try #require(
                Self.decode(
                    .ethernet,
                    Self.ethernetIPv4 + Self.ipv4(Self.tcp(flags: 0x12, options: true), payload: 7, optionWords: 2)))
            #expect(segment.source == IPAddress("127.0.0.1"))
            #expect(segment.destination == IPAddress("127.0.0.2"))
            #expect(segment.sourcePort == 40000 && segment.destinationPort == 80)
            #expect(segment.flags == 0x12 && segment.window == 65535 && segment.ttl == 64)
            #expect(segment.payloadLength == 7)
        }

        @Test func ethernetVLANAndIPv6ExtensionHeaders() throws {
            let vlan: [UInt8] = [UInt8](repeating: 0, count: 12) + [0x81, 0x00, 0, 5, 0x86, 0xDD]
            let segment = try #require(Self.decode(.ethernet, vlan + Self.ipv6(Self.tcp(flags: 0x02), payload: 3)))
            #expect(segment.source == IPAddress("::1") && segment.destination == IPAddress("::2"))
            #expect(segment.ttl == 63 && segment.flags == 0x02 && segment.payloadLength == 3)
        }

        @Test func cookedRawAndNullLinks() throws {
            let packet = Self.ipv4(Self.tcp(flags: 0x14))
            let sll = [UInt8](repeating: 0, count: 14) + [0x08, 0x00]
            let sll2 = [0x86, 0xDD] + [UInt8](repeating: 0, count: 18)
            #expect(Self.decode(.linuxSLL, sll + packet)?.flags == 0x14)
            #expect(Self.decode(.linuxSLL2, sll2 + Self.ipv6(Self.tcp(flags: 0x11)))?.flags == 0x11)
            #expect(Self.decode(.raw, packet)?.flags == 0x14)
            #expect(Self.decode(.rawLinktype, Self.ipv6(Self.tcp(flags: 0x10)))?.flags == 0x10)
            #expect(Self.decode(.null, [2, 0, 0, 0] + packet)?.flags == 0x14)
            #expect(Self.decode(.loop, [0, 0, 0, 2] + packet)?.flags == 0x14)
        }

        @Test func rejectsWhatIsNotAWholeTCPHeader() {
            let packet = Self.ipv4(Self.tcp(flags: 0x02))
            #expect(Self.decode(.raw, Array(packet.prefix(30))) == nil)  // truncated TCP header
            let laterFragment = Self.ipv4(Self.tcp(flags: 0x02), fragmentOffset: 0x0010)
            #expect(Self.decode(.raw, laterFragment) == nil)
            var udp = packet
            udp[9] = 17
            #expect(Self.decode(.raw, udp) == nil)
            let arp = [UInt8](repeating: 0, count: 12) + [0x08, 0x06] + packet
            #expect(Self.decode(.ethernet, arp) == nil)
            #expect(Self.decode(.raw, []) == nil)
        }

        @Test(arguments: [
            (UInt8(0x02), "S", "S"), (0x12, "S.", "SA"), (0x10, ".", "A"), (0x04, "R", "R"), (0x14, "R.", "RA"),
            (0x11, "F.", "FA"), (0x18, "P.", "PA"), (0x00, "none", "none"), (0xC2, "SEW", "SEW"),
        ])
        func flagText(flags: UInt8, tcpdump: String, compact: String) {
            #expect(TCPFlags.tcpdump(flags) == tcpdump)
            #expect(TCPFlags.compact(flags) == compact)
        }
    }
#endif
