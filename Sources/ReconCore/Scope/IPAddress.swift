import CReconShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are
/// stored as the IPv4 address they carry, so scope checks and connects agree.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// Parses a literal (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`); nil if it is not one. Text
    /// with a NUL byte is not one (the C parser would stop reading there: `10.0.0.1\0junk`).
    public init?(_ text: String) {
        guard !text.utf8.contains(0) else { return nil }
        var v4 = in_addr()
        if text.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        guard text.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 else { return nil }
        self.init(in6: v6)
    }

    /// The address of a kernel socket address (`getifaddrs`, `getaddrinfo`); nil for other families.
    init?(_ raw: UnsafePointer<sockaddr>) {
        switch Int32(raw.pointee.sa_family) {
        case AF_INET:
            let value = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            self = .v4(UInt32(bigEndian: value))
        case AF_INET6:
            self.init(in6: raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr })
        default:
            return nil
        }
    }

    /// `ipv4` or `ipv6`, as reports name the family.
    public var family: String { isIPv4 ? "ipv4" : "ipv6" }

    /// Builds an address from the kernel's IPv6 representation, unmapping IPv4-mapped ones.
    public init(in6 raw: in6_addr) {
        var value: UInt128 = 0
        withUnsafeBytes(of: raw) { bytes in
            for byte in bytes { value = value << 8 | UInt128(byte) }
        }
        if value >> 32 == 0xffff {
            self = .v4(UInt32(truncatingIfNeeded: value))
        } else {
            self = .v6(value)
        }
    }

    /// True for IPv6 link-local addresses (`fe80::/10`), which only work with an interface scope.
    public var isLinkLocalIPv6: Bool {
        if case .v6(let value) = self { return value >> 118 == 0x3FA }
        return false
    }

    /// True for IPv4 (including unmapped IPv4-mapped IPv6).
    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        switch self {
        case .v4(let value): return value >> 24 == 127
        case .v6(let value): return value == 1
        }
    }

    /// Number of bits in this family's addresses.
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// The address as a 128-bit integer within its family.
    var bits: UInt128 {
        switch self {
        case .v4(let value): return UInt128(value)
        case .v6(let value): return value
        }
    }

    /// The conventional text form (`inet_ntop`).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch self {
        case .v4(let value):
            var raw = in_addr(s_addr: value.bigEndian)
            inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
        case .v6:
            var raw = in6Address
            inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The kernel's IPv6 representation (valid for `.v6`).
    var in6Address: in6_addr {
        var raw = in6_addr()
        let value = bits
        withUnsafeMutableBytes(of: &raw) { bytes in
            for index in 0..<16 {
                bytes[index] = UInt8(truncatingIfNeeded: value >> UInt128((15 - index) * 8))
            }
        }
        return raw
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v6(let a), .v6(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}
