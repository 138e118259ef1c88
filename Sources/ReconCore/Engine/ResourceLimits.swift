#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Open-file limits, which bound how many connects may be in flight.
public enum ResourceLimits {
    /// Descriptors kept free for output files, resolver, capture and the runtime.
    public static let reservedDescriptors = 64
    /// More sockets in flight than this gains nothing even on fast networks and costs memory.
    public static let maximumWindow = 4096

    /// Raises the soft RLIMIT_NOFILE to the hard limit where allowed; returns the soft limit in force.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The soft open-file limit in force (what `ulimit -n` shows).
    public static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)
    }

    /// The default number of connects in flight for a soft open-file limit.
    public static func defaultConcurrency(openFileLimit: Int) -> Int {
        max(1, min(openFileLimit - reservedDescriptors, maximumWindow))
    }

    /// Address space a run needs, in bytes: what the process has mapped already (the binary and
    /// its libraries: Foundation's ICU data alone is 40 MiB), then the runtime's threads' stacks (a
    /// few per core) and the scan's buffers; probing adds SwiftNIO's event loops and TLS. Measured
    /// on 2 cores over a 45 MiB start: a plain scan failed below ~80 MiB of `ulimit -v`, a
    /// probing one below ~150 MiB.
    public static func requiredAddressSpace(probing: Bool) -> Int {
        let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return mappedAddressSpace() + ((probing ? 64 + 48 * cores : 20 + 16 * cores) << 20)
    }

    /// The address space the process has mapped now (`VmSize`), from `/proc/self/statm`; 45 MiB
    /// (a start without Foundation) when it cannot be read.
    static func mappedAddressSpace() -> Int {
        let fallback = 45 << 20
        let descriptor = open("/proc/self/statm", O_RDONLY)
        guard descriptor >= 0 else { return fallback }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0, let pages = Int(String(decoding: buffer[..<count].prefix { $0 != 0x20 }, as: UTF8.self)),
            pages > 0
        else { return fallback }
        return pages * max(4096, sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Why the address-space limit (`ulimit -v`) is too low for a run, in one line, or nil when it
    /// is not. Below it, thread creation fails inside the runtime, which then retries forever or
    /// crashes: check on the main thread before anything asynchronous starts.
    public static func addressSpaceProblem(probing: Bool) -> String? {
        let required = requiredAddressSpace(probing: probing)
        guard let limit = addressSpaceShortfall(required: required) else { return nil }
        return "the address-space limit (ulimit -v) is \(limit >> 20) MiB, below the \(required >> 20) MiB "
            + "this run needs: raise it (ulimit -v \(required >> 10)) or lift it (ulimit -v unlimited)"
    }

    /// Raises the soft address-space limit (`ulimit -v`) to the hard one where allowed and
    /// returns it in bytes when it is still below `required`; nil when there is room (or no limit).
    /// Below it, thread creation and allocation fail deep inside the runtime.
    public static func addressSpaceShortfall(required: Int) -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_AS.rawValue), &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur != rlim_t.max, limit.rlim_cur < UInt(required) else { return nil }
        return Int(clamping: limit.rlim_cur)
    }
}
