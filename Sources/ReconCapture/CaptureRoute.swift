#if Capture
    import ReconCore

    /// Which interface carries traffic to an address, from the kernel's routing tables as
    /// `/proc/net/route` and `/proc/net/ipv6_route` print them.
    struct CaptureRoute {
        /// One usable route: destination block, metric, interface.
        struct Route {
            var block: CIDRBlock
            var metric: UInt32
            var interface: String
        }

        private static let up: UInt32 = 0x0001  // RTF_UP
        private static let reject: UInt32 = 0x0200  // RTF_REJECT: unreachable, prohibit, blackhole

        var ipv4: [Route]
        var ipv6: [Route]
        var localAddresses: Set<IPAddress>

        /// Parses the text of `/proc/net/route` and `/proc/net/ipv6_route`.
        init(ipv4Table: String, ipv6Table: String, localAddresses: Set<IPAddress>) {
            ipv4 = Self.parseIPv4(ipv4Table)
            ipv6 = Self.parseIPv6(ipv6Table)
            self.localAddresses = localAddresses
        }

        /// The tables of the calling thread's network namespace (`/proc/thread-self`, so it
        /// follows `setns`; the process's tables where that is missing).
        static func current() -> CaptureRoute {
            CaptureRoute(
                ipv4Table: readTable("route"), ipv6Table: readTable("ipv6_route"),
                localAddresses: Set(InterfaceAddress.current().map(\.address)))
        }

        /// The interface for `address`: `lo` for loopback and for this machine's own addresses
        /// (Linux delivers those over `lo`), else the most specific route's (then lowest metric).
        func interface(for address: IPAddress) -> String? {
            if Self.isLoopback(address) || localAddresses.contains(address) { return "lo" }
            var best: Route?
            for route in address.isIPv4 ? ipv4 : ipv6 where route.block.contains(address) {
                let (prefix, bestPrefix) = (route.block.prefixLength, best?.block.prefixLength ?? -1)
                if prefix > bestPrefix || (prefix == bestPrefix && route.metric < best?.metric ?? .max) {
                    best = route
                }
            }
            return best?.interface
        }

        static func isLoopback(_ address: IPAddress) -> Bool {
            switch address {
            case .v4(let value): return value >> 24 == 127
            case .v6(let value): return value == 1
            }
        }

        /// `/proc/net/route`: addresses and masks are network-order bytes printed as a host-order number.
        static func parseIPv4(_ text: String) -> [Route] {
            text.split(separator: "\n").dropFirst().compactMap { line in
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count >= 8, let destination = UInt32(fields[1], radix: 16),
                    let flags = UInt32(fields[3], radix: 16), let metric = UInt32(fields[6], radix: 16),
                    let mask = UInt32(fields[7], radix: 16), flags & up != 0, flags & reject == 0
                else { return nil }
                guard
                    let block = CIDRBlock(
                        address: .v4(UInt32(bigEndian: destination)), prefixLength: mask.nonzeroBitCount)
                else { return nil }
                return Route(block: block, metric: metric, interface: String(fields[0]))
            }
        }

        /// `/proc/net/ipv6_route`: destination, prefix, source, source prefix, next hop, metric,
        /// reference count, use count, flags, interface.
        static func parseIPv6(_ text: String) -> [Route] {
            text.split(separator: "\n").compactMap { line in
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count >= 10, let destination = UInt128(fields[0], radix: 16),
                    let prefix = Int(fields[1], radix: 16), prefix <= 128,
                    let metric = UInt32(fields[5], radix: 16), let flags = UInt32(fields[8], radix: 16),
                    flags & up != 0, flags & reject == 0
                else { return nil }
                guard let block = CIDRBlock(address: .v6(destination), prefixLength: prefix) else { return nil }
                return Route(block: block, metric: metric, interface: String(fields[9]))
            }
        }

        private static func readTable(_ name: String) -> String {
            (try? TextFile.read("/proc/thread-self/net/\(name)")) ?? (try? TextFile.read("/proc/net/\(name)")) ?? ""
        }
    }

    /// The BPF filter for a scan's own traffic.
    enum CaptureFilter {
        /// Host terms at most; more addresses are grouped by /24 (IPv4) and /64 (IPv6), and
        /// past that the filter is plain `tcp` (the recorder still keeps only the targets).
        static let termLimit = 64

        static func expression(for addresses: [IPAddress]) -> String {
            let hosts = Set(addresses).sorted()
            if hosts.count <= termLimit {
                return "tcp and (" + hosts.map { "host \($0)" }.joined(separator: " or ") + ")"
            }
            var seen = Set<String>()
            let networks = hosts.map(network).filter { seen.insert($0).inserted }
            guard networks.count <= termLimit else { return "tcp" }
            return "tcp and (" + networks.joined(separator: " or ") + ")"
        }

        /// The `net` term of the /24 or /64 holding `address`.
        private static func network(_ address: IPAddress) -> String {
            CIDRBlock(address: address, prefixLength: address.isIPv4 ? 24 : 64).map { "net \($0)" } ?? "host \(address)"
        }
    }
#endif
