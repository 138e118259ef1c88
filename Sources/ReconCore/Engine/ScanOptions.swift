/// How a connect scan runs: timing, retries, parallelism and pacing.
public struct ScanOptions: Sendable, Equatable {
    /// When an unanswered connect is given up.
    public var timeout: TimeoutPolicy = .standard
    /// Extra connects for a port that did not answer (nmap's --max-retries).
    public var retries: Int = 2
    /// Connects in flight at once, over all threads.
    public var concurrency: Int = 1024
    /// Connects per second over all threads; nil = as fast as answers come.
    public var rate: Double?
    /// Event-loop threads; nil = one per core (fewer for small scans).
    public var threads: Int?
    /// How many times a port is retried after local failures (EMFILE, EADDRNOTAVAIL...)
    /// before it is reported as `error`.
    public var localFailureLimit: Int = 12

    public init() {}
}
