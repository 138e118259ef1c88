#if Capture
    import Foundation
    import ReconCapture
    import ReconTestSupport

    @testable import ReconCore

    #if canImport(Glibc)
        import Glibc
    #endif

    /// Runs `body` on a new thread (not Swift's concurrency pool) that first joined the network
    /// namespace `name` with `setns`, which on Linux moves only the calling thread.
    func onNamespaceThread<T: Sendable>(
        _ name: String?, dropCapabilities: Bool = false, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result {
                        if let name { try joinNamespace(name) }
                        if dropCapabilities { try dropNetworkCapabilities() }
                        return try body()
                    })
            }
            thread.start()
        }
    }

    /// `setns(fd, CLONE_NEWNET)` for this thread; Swift's Glibc does not import `setns`.
    private func joinNamespace(_ name: String) throws {
        let fd = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TestSetupError("cannot open namespace \(name): errno \(errno)") }
        defer { close(fd) }
        typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "setns") else { throw TestSetupError("no setns in libc") }
        let cloneNewNet: Int32 = 0x4000_0000
        guard unsafeBitCast(symbol, to: SetNamespace.self)(fd, cloneNewNet) == 0 else {
            throw TestSetupError("setns into \(name) failed: errno \(errno)")
        }
    }

    /// Clears CAP_NET_RAW and CAP_NET_ADMIN from this thread's effective capabilities
    /// (`capset` changes only the calling thread), as for a user without them.
    private func dropNetworkCapabilities() throws {
        typealias Capabilities = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32
        guard let get = dlsym(nil, "capget"), let set = dlsym(nil, "capset") else {
            throw TestSetupError("no capget/capset in libc")
        }
        var header: (UInt32, Int32) = (0x2008_0522, 0)  // _LINUX_CAPABILITY_VERSION_3, this thread
        var data = [UInt32](repeating: 0, count: 6)  // two (effective, permitted, inheritable)
        let netAdminAndRaw: UInt32 = 1 << 12 | 1 << 13
        let status = withUnsafeMutableBytes(of: &header) { header in
            data.withUnsafeMutableBytes { data in
                guard unsafeBitCast(get, to: Capabilities.self)(header.baseAddress!, data.baseAddress!) == 0 else {
                    return Int32(-1)
                }
                data.storeBytes(of: data.load(as: UInt32.self) & ~netAdminAndRaw, as: UInt32.self)
                return unsafeBitCast(set, to: Capabilities.self)(header.baseAddress!, data.baseAddress!)
            }
        }
        guard status == 0 else { throw TestSetupError("capset failed: errno \(errno)") }
    }

    /// Connects once to `address`:`port` with a blocking socket and a timeout, then closes it,
    /// with a reset (SO_LINGER {1,0}, as the engine does) or a FIN. Returns 0 when the connect
    /// succeeded, else its errno (EINPROGRESS when the timeout expired).
    func connectOnce(_ address: IPAddress, _ port: UInt16, timeoutMilliseconds: Int = 1500, reset: Bool = true) -> Int32
    {
        let fd = socket(address.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return errno }
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let status = SocketAddress(address).withPort(port) { connect(fd, $0, $1) }
        let result = status == 0 ? 0 : errno
        if reset {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        close(fd)
        return result
    }

    /// The loopback addresses.
    let loopback4 = IPAddress("127.0.0.1")!
    let loopback6 = IPAddress("::1")!

    /// True where the live tests can run: root, with `ip` and `iptables` (as in CI).
    let liveCaptureAvailable = NetworkNamespace.available
#endif
