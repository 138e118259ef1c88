import CReconShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A kernel socket address for an `IPAddress`; the port is set per connect.
struct SocketAddress: @unchecked Sendable {
    private var storage = sockaddr_storage()
    let length: socklen_t

    init(_ address: IPAddress) {
        switch address {
        case .v4(let value):
            var raw = sockaddr_in()
            raw.sin_family = sa_family_t(AF_INET)
            raw.sin_addr = in_addr(s_addr: value.bigEndian)
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { target in
                withUnsafeBytes(of: raw) { target.copyMemory(from: $0) }
            }
        case .v6:
            var raw = sockaddr_in6()
            raw.sin6_family = sa_family_t(AF_INET6)
            raw.sin6_addr = address.in6Address
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { target in
                withUnsafeBytes(of: raw) { target.copyMemory(from: $0) }
            }
        }
    }

    /// Calls `body` with this address set to `port`.
    @inline(__always)
    func withPort<Result>(_ port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var copy = storage
        // sin_port and sin6_port sit at the same offset, right after the family.
        withUnsafeMutableBytes(of: &copy) { bytes in
            bytes.storeBytes(of: port.bigEndian, toByteOffset: 2, as: UInt16.self)
        }
        return withUnsafePointer(to: &copy) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
