#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's open-file budget: the soft RLIMIT_NOFILE and the descriptors open now. The
/// connect engine and the prober draw on the same budget, one after the other.
public enum OpenFiles {
    /// The soft RLIMIT_NOFILE (what `ulimit -n` shows).
    public static func softLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)
    }

    /// How many descriptors the process has open.
    public static func openCount() -> Int {
        if let directory = opendir("/proc/self/fd") {
            defer { closedir(directory) }
            let own = dirfd(directory)
            var count = 0
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                if let descriptor = Int32(name), descriptor != own { count += 1 }
            }
            return count
        }
        // No /proc, or no descriptor left to read it with: ask each descriptor in turn.
        let highest = min(softLimit(), 65536)
        return (0..<Int32(highest)).reduce(0) { $0 + (fcntl($1, F_GETFD) == -1 ? 0 : 1) }
    }

    /// Descriptors that may still be opened while keeping `reserve` free (may be negative).
    public static func available(reserve: Int) -> Int {
        softLimit() - openCount() - reserve
    }
}
