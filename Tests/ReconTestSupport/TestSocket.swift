import Glibc
import ReconCore

/// A TCP socket bound to an ephemeral loopback port: listening (an open port) or only bound
/// (a closed port that nothing else can take while the test runs). Closed on deinit.
public final class TestSocket {
    public let fd: Int32
    public let port: UInt16

    public init(ipv6: Bool = false, listening: Bool = true) {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket failed")
        self.fd = fd
        var length: socklen_t
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { precondition(bind(fd, $0, length) == 0) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { precondition(bind(fd, $0, length) == 0) }
            }
        }
        if listening { precondition(listen(fd, 128) == 0) }
        var bound = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &boundLength) }
        }
        self.port = withUnsafeBytes(of: bound) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    deinit { close(fd) }
}

/// Authorizes loopback literals through the real policy, as the CLI does.
public func loopbackTargets(_ specs: [String]) throws -> [AuthorizedTarget] {
    let policy = ScopePolicy.embeddedDefault(interfaceAddresses: [])
    return try policy.authorize(try TargetResolver().resolve(specs))
}

/// A port list from explicit ports.
public func portList(_ ports: [UInt16]) throws -> PortList {
    try PortList(parsing: ports.map(String.init).joined(separator: ","))
}
