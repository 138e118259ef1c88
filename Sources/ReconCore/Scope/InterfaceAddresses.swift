import CReconShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An address assigned to one of this machine's network interfaces.
public struct InterfaceAddress: Sendable, Hashable {
    /// Interface name, e.g. `lo`, `eth0`.
    public let name: String
    /// The assigned address.
    public let address: IPAddress

    public init(name: String, address: IPAddress) {
        self.name = name
        self.address = address
    }

    /// The addresses on this machine's interfaces now (getifaddrs), sorted and unique.
    public static func current() -> [InterfaceAddress] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var found = Set<InterfaceAddress>()
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let raw = entry.pointee.ifa_addr else { continue }
            let name = String(cString: entry.pointee.ifa_name)
            switch Int32(raw.pointee.sa_family) {
            case AF_INET:
                let address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                found.insert(InterfaceAddress(name: name, address: .v4(UInt32(bigEndian: address))))
            case AF_INET6:
                let address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                found.insert(InterfaceAddress(name: name, address: IPAddress(in6: address)))
            default:
                continue
            }
        }
        return found.sorted { ($0.address, $0.name) < ($1.address, $1.name) }
    }
}
