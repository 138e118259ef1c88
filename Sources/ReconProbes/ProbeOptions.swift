import ReconCore

/// How recon talks to open ports after the connect scan.
public struct ProbeOptions: Sendable {
    /// Whole-port deadline: greeting wait and every probe fit in it. A service that streams
    /// forever cannot extend it. Nanoseconds.
    public var portTimeout: Int64 = 1_500_000_000
    /// How long a port may stay silent before recon sends a probe, as a fraction of `portTimeout`.
    public var greetingShare: Double = 0.5
    /// How long one probe after the first waits for its reply. Nanoseconds.
    public var probeWait: Int64 = 250_000_000
    /// How long a TLS connection waits, after its handshake, for a greeting inside the tunnel
    /// before it sends the HTTP request. Nanoseconds.
    public var tlsGreetingWait: Int64 = 250_000_000
    /// Silence that ends a reply once bytes have arrived. Nanoseconds.
    public var idleGap: Int64 = 100_000_000
    /// Cap on a banner or a probe reply (`--banner-bytes`).
    public var byteCap: Int = 4096
    /// Cap on an HTTP response (head and start of the body, for the title).
    public var httpByteCap: Int = 65536
    /// Send the HTTP probe to every open port, also to ones that sent a banner (`--http`).
    public var forceHTTP = false
    /// Ports probed at the same time at most; fewer when the open-file limit leaves fewer
    /// descriptors.
    public var concurrency: Int = 256
    /// Set for an audit: after identification, HTTP services are asked for a page that does not
    /// exist (their error page) and these requests go to the services they name.
    public var auditRequests: [AuditRequest]?
    /// `User-Agent` of the HTTP probe.
    public var userAgent: String = "recon"
    /// Limits on each regex match of identification, and the matching time of one port (all
    /// its identifications together). Nanoseconds.
    public var matchLimits: MatchLimits = .standard
    public var matchTime: Int64 = MatchBudget.standardPortTime

    public init() {}

    /// How long to wait for a greeting before probing.
    var greetingWait: Int64 { Int64(Double(portTimeout) * greetingShare) }
}
