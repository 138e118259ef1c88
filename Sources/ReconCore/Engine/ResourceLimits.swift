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

    /// The default number of connects in flight for a soft open-file limit.
    public static func defaultConcurrency(openFileLimit: Int) -> Int {
        max(1, min(openFileLimit - reservedDescriptors, maximumWindow))
    }
}
