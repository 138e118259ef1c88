#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The scan report, version 2 of the documented schema (`schema/recon-scan-v2.schema.json`).
/// Field names are snake_case in JSON; ports are ascending; absent values are omitted. A host
/// lists its open, filtered and error ports; closed ones are summarised as ranges (`closed`)
/// unless listed with `--show closed`.
public struct ScanReport: Codable, Sendable, Equatable {
    /// Schema identifier written into every report.
    public static let schemaIdentifier = "recon-scan/2"

    /// `recon-scan/2` for this version (`recon-scan/1` in reports of earlier versions).
    public var schema: String
    /// How and when the scan ran.
    public var run: RunInfo
    /// One entry per scanned address, in request order.
    public var hosts: [HostReport]
    /// Counts over all hosts.
    public var summary: StateCounts
    /// With an audit: the disclosures found (waived ones included, marked), in host and port order.
    public var findings: [AuditFinding]?
    /// With an audit: rules, threshold, counts, waivers and the verdict.
    public var audit: AuditSummary?

    public init(
        schema: String, run: RunInfo, hosts: [HostReport], summary: StateCounts, findings: [AuditFinding]? = nil,
        audit: AuditSummary? = nil
    ) {
        self.schema = schema
        self.run = run
        self.hosts = hosts
        self.summary = summary
        self.findings = findings
        self.audit = audit
    }
}

/// How and when the scan ran.
public struct RunInfo: Codable, Sendable, Equatable {
    /// `recon`.
    public var tool: String
    /// recon's version.
    public var version: String
    /// The command line, without the program name.
    public var arguments: [String]
    /// Start and end, RFC 3339 UTC with milliseconds.
    public var started: String
    public var ended: String
    /// Wall-clock seconds.
    public var elapsedSeconds: Double
    /// False if the scan was stopped early; `interruptedBy` then names the signal.
    public var complete: Bool
    public var interruptedBy: String?
    /// The port specification scanned and how many ports it has.
    public var ports: String
    public var portCount: Int
    /// The scope policy sources (`embedded default`, policy files).
    public var policy: [String]
    /// Timing and parallelism in force.
    public var options: RunOptions
    /// Local failures (EMFILE, EADDRNOTAVAIL, ...) that were backed off and retried.
    public var localFailures: Int
    /// With `--capture`: interfaces, filter, pcap file and drop counters.
    public var capture: CaptureSummary?

    public init(
        tool: String, version: String, arguments: [String], started: String, ended: String,
        elapsedSeconds: Double, complete: Bool, interruptedBy: String?, ports: String, portCount: Int,
        policy: [String], options: RunOptions, localFailures: Int, capture: CaptureSummary? = nil
    ) {
        self.tool = tool
        self.version = version
        self.arguments = arguments
        self.started = started
        self.ended = ended
        self.elapsedSeconds = elapsedSeconds
        self.complete = complete
        self.interruptedBy = interruptedBy
        self.ports = ports
        self.portCount = portCount
        self.policy = policy
        self.options = options
        self.localFailures = localFailures
        self.capture = capture
    }

    enum CodingKeys: String, CodingKey {
        case tool, version, arguments, started, ended, complete, ports, policy, options, capture
        case elapsedSeconds = "elapsed_s"
        case interruptedBy = "interrupted_by"
        case portCount = "port_count"
        case localFailures = "local_failures"
    }
}

/// Options that shaped the scan.
public struct RunOptions: Codable, Sendable, Equatable {
    /// `adaptive` or `fixed`.
    public var timeoutMode: String
    /// The fixed timeout, or the adaptive bounds, in milliseconds.
    public var timeoutMs: Double?
    public var minTimeoutMs: Double?
    public var maxTimeoutMs: Double?
    public var retries: Int
    public var concurrency: Int
    public var threads: Int
    /// Connects per second, when limited.
    public var rate: Double?

    public init(
        timeoutMode: String, timeoutMs: Double? = nil, minTimeoutMs: Double? = nil, maxTimeoutMs: Double? = nil,
        retries: Int, concurrency: Int, threads: Int, rate: Double? = nil
    ) {
        self.timeoutMode = timeoutMode
        self.timeoutMs = timeoutMs
        self.minTimeoutMs = minTimeoutMs
        self.maxTimeoutMs = maxTimeoutMs
        self.retries = retries
        self.concurrency = concurrency
        self.threads = threads
        self.rate = rate
    }

    enum CodingKeys: String, CodingKey {
        case retries, concurrency, threads, rate
        case timeoutMode = "timeout_mode"
        case timeoutMs = "timeout_ms"
        case minTimeoutMs = "min_timeout_ms"
        case maxTimeoutMs = "max_timeout_ms"
    }
}

/// One scanned address.
public struct HostReport: Codable, Sendable, Equatable {
    /// The address connected to.
    public var address: String
    /// `ipv4` or `ipv6`.
    public var family: String
    /// The host name given, when the address came from one.
    public var hostname: String?
    /// The scope rule that allowed the address.
    public var scopeRule: String
    /// Ports listed, ascending: open, filtered and error ones (only open ones with `--open`),
    /// closed ones with `--show closed` or an unusual reason.
    public var ports: [PortEntry]
    /// The closed ports not listed, summarised; absent when there are none.
    public var closed: PortSummary?
    /// Counts for this host (over all scanned ports, whatever is listed).
    public var summary: StateCounts
    /// Round-trip figures learned on this host.
    public var timing: HostTiming

    public init(
        address: String, family: String, hostname: String?, scopeRule: String, ports: [PortEntry],
        closed: PortSummary?, summary: StateCounts, timing: HostTiming
    ) {
        self.address = address
        self.family = family
        self.hostname = hostname
        self.scopeRule = scopeRule
        self.ports = ports
        self.closed = closed
        self.summary = summary
        self.timing = timing
    }

    enum CodingKeys: String, CodingKey {
        case address, family, hostname, ports, closed, summary, timing
        case scopeRule = "scope_rule"
    }
}

/// Ports of one state a host does not list, summarised like nmap's `<extraports>`: how many,
/// why, and which as a compact range list (`1-21,23-79,81-1024`).
public struct PortSummary: Codable, Sendable, Equatable {
    /// How many ports.
    public var count: Int
    /// How many ports per reason (`conn-refused`).
    public var reasons: [String: Int]
    /// The ports, as ranges (a port list in JSON).
    public var ports: PortRanges

    public init(count: Int, reasons: [String: Int], ports: PortRanges) {
        self.count = count
        self.reasons = reasons
        self.ports = ports
    }

    enum CodingKeys: String, CodingKey {
        case count, reasons, ports
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        count = try container.decode(Int.self, forKey: .count)
        reasons = try container.decode([String: Int].self, forKey: .reasons)
        let text = try container.decode(String.self, forKey: .ports)
        do {
            ports = text.isEmpty ? PortRanges() : PortRanges(try PortList(parsing: text).ports)
        } catch {
            throw DecodingError.dataCorruptedError(
                forKey: .ports, in: container, debugDescription: "not a port list: \(error.description)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(reasons, forKey: .reasons)
        try container.encode(ports.description, forKey: .ports)
    }
}

/// One port of one host.
public struct PortEntry: Codable, Sendable, Equatable {
    public var port: Int
    /// Always `tcp` in this version.
    public var `protocol`: String
    public var state: PortState
    public var reason: PortReason
    /// Connect round-trip time in milliseconds; absent when nothing answered.
    public var rttMs: Double?
    /// Symbolic errno for filtered and error results (`EHOSTUNREACH`, `EMFILE`).
    public var errno: String?
    /// Connects made for this port.
    public var attempts: Int
    /// What probing and capture found, kept out of line: most ports have none, and a full-range
    /// report would otherwise carry ~500 bytes of empty optionals per port (empty array: 8 bytes).
    private var extras: [Extras] = []

    /// The out-of-line part of an entry.
    private struct Extras: Sendable, Equatable {
        var service = PortService()
        var handshake: Handshake?
    }

    /// With `--banner`: what the open port said first (see `PortService`).
    public var banner: CapturedBytes? {
        get { extras.first?.service.banner }
        set { updateExtras { $0.service.banner = newValue } }
    }
    /// Probes sent and their replies.
    public var probes: [ProbeExchange]? {
        get { extras.first?.service.probes }
        set { updateExtras { $0.service.probes = newValue } }
    }
    /// The HTTP response.
    public var http: HTTPResponse? {
        get { extras.first?.service.http }
        set { updateExtras { $0.service.http = newValue } }
    }
    /// The TLS session.
    public var tls: TLSInfo? {
        get { extras.first?.service.tls }
        set { updateExtras { $0.service.tls = newValue } }
    }
    /// The identification.
    public var service: ServiceMatch? {
        get { extras.first?.service.service }
        set { updateExtras { $0.service.service = newValue } }
    }
    /// Why probing the port could not finish for a local reason (`EMFILE`, ...).
    public var probeError: String? {
        get { extras.first?.service.probeError }
        set { updateExtras { $0.service.probeError = newValue } }
    }
    /// With `--capture`: the port's packets as the wire saw them.
    public var handshake: Handshake? {
        get { extras.first?.handshake }
        set { updateExtras { $0.handshake = newValue } }
    }

    private mutating func updateExtras(_ change: (inout Extras) -> Void) {
        var value = extras.first ?? Extras()
        change(&value)
        extras = value == Extras() ? [] : [value]
    }

    enum CodingKeys: String, CodingKey {
        case port, `protocol`, state, reason, errno, attempts, banner, probes, http, tls, service, handshake
        case rttMs = "rtt_ms"
        case probeError = "probe_error"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        port = try container.decode(Int.self, forKey: .port)
        self.protocol = try container.decode(String.self, forKey: .protocol)
        state = try container.decode(PortState.self, forKey: .state)
        reason = try container.decode(PortReason.self, forKey: .reason)
        rttMs = try container.decodeIfPresent(Double.self, forKey: .rttMs)
        errno = try container.decodeIfPresent(String.self, forKey: .errno)
        attempts = try container.decode(Int.self, forKey: .attempts)
        banner = try container.decodeIfPresent(CapturedBytes.self, forKey: .banner)
        probes = try container.decodeIfPresent([ProbeExchange].self, forKey: .probes)
        http = try container.decodeIfPresent(HTTPResponse.self, forKey: .http)
        tls = try container.decodeIfPresent(TLSInfo.self, forKey: .tls)
        service = try container.decodeIfPresent(ServiceMatch.self, forKey: .service)
        probeError = try container.decodeIfPresent(String.self, forKey: .probeError)
        handshake = try container.decodeIfPresent(Handshake.self, forKey: .handshake)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(port, forKey: .port)
        try container.encode(self.protocol, forKey: .protocol)
        try container.encode(state, forKey: .state)
        try container.encode(reason, forKey: .reason)
        try container.encodeIfPresent(rttMs, forKey: .rttMs)
        try container.encodeIfPresent(errno, forKey: .errno)
        try container.encode(attempts, forKey: .attempts)
        try container.encodeIfPresent(banner, forKey: .banner)
        try container.encodeIfPresent(probes, forKey: .probes)
        try container.encodeIfPresent(http, forKey: .http)
        try container.encodeIfPresent(tls, forKey: .tls)
        try container.encodeIfPresent(service, forKey: .service)
        try container.encodeIfPresent(probeError, forKey: .probeError)
        try container.encodeIfPresent(handshake, forKey: .handshake)
    }

    /// What probing the port found (empty when it was not probed).
    public var probeDetails: PortService { extras.first?.service ?? PortService() }

    /// The entry for `result`, with what probing and capture found, if anything.
    public init(_ result: PortResult, service: PortService? = nil, handshake: Handshake? = nil) {
        port = Int(result.port)
        self.protocol = "tcp"
        state = result.state
        reason = result.reason
        rttMs = result.rttMilliseconds.map(ReportRounding.milliseconds)
        errno = result.errnoName
        attempts = result.attempts
        if service != nil || handshake != nil {
            updateExtras { extras in
                extras.service = service ?? PortService()
                extras.handshake = handshake
            }
        }
    }
}

/// Round-trip figures of one host.
public struct HostTiming: Codable, Sendable, Equatable {
    /// Smoothed RTT and its variance in milliseconds; absent before any answer.
    public var srttMs: Double?
    public var rttvarMs: Double?
    /// The connect timeout in force at the end, in milliseconds.
    public var timeoutMs: Double

    public init(srttMs: Double?, rttvarMs: Double?, timeoutMs: Double) {
        self.srttMs = srttMs
        self.rttvarMs = rttvarMs
        self.timeoutMs = timeoutMs
    }

    enum CodingKeys: String, CodingKey {
        case srttMs = "srtt_ms"
        case rttvarMs = "rttvar_ms"
        case timeoutMs = "timeout_ms"
    }
}

/// How many ports are in each state; `unscanned` counts ports an interrupted scan did not reach.
public struct StateCounts: Codable, Sendable, Equatable {
    public var open = 0
    public var closed = 0
    public var filtered = 0
    public var error = 0
    public var unscanned = 0

    public init() {}

    /// Ports in some state (open, closed, filtered or error): the ones scanned.
    public var scanned: Int { open + closed + filtered + error }

    /// Counts one result.
    public mutating func add(_ state: PortState) {
        switch state {
        case .open: open += 1
        case .closed: closed += 1
        case .filtered: filtered += 1
        case .error: error += 1
        }
    }

    /// The count for one state.
    public subscript(state: PortState) -> Int {
        switch state {
        case .open: return open
        case .closed: return closed
        case .filtered: return filtered
        case .error: return error
        }
    }

    static func + (lhs: StateCounts, rhs: StateCounts) -> StateCounts {
        var sum = lhs
        sum.open += rhs.open
        sum.closed += rhs.closed
        sum.filtered += rhs.filtered
        sum.error += rhs.error
        sum.unscanned += rhs.unscanned
        return sum
    }
}

/// Rounding used for figures in reports, so output is stable and compact.
enum ReportRounding {
    /// Milliseconds to microsecond precision.
    static func milliseconds(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
