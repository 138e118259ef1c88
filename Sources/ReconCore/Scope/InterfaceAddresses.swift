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
            guard let raw = entry.pointee.ifa_addr, let address = IPAddress(UnsafePointer(raw)) else { continue }
            found.insert(InterfaceAddress(name: String(cString: entry.pointee.ifa_name), address: address))
        }
        return found.sorted { ($0.address, $0.name) < ($1.address, $1.name) }
    }
}
