/// Finds out what open ports are: banners, probes, identification (ReconProbes' `ServiceProber`).
public protocol PortProbing: Sendable {
    /// Probes `ports` of every target (index-aligned with `targets`), calling `onPort` as each is
    /// done; stops early, keeping what ports said, when `shouldStop` turns non-zero.
    func probe(
        targets: [AuthorizedTarget], ports: [[UInt16]], shouldStop: @escaping @Sendable () -> Int32,
        onPort: @escaping @Sendable (_ targetIndex: Int, _ port: UInt16, _ service: PortService) -> Void
    ) async -> ProbeResults
}

/// What probing found: each target's probed ports (index-aligned with the targets), and the
/// identification rules whose matching was cut short (rule limit or time), once per rule and port.
public struct ProbeResults: Sendable {
    public var services: [[UInt16: PortService]]
    public var diagnostics: [MatchDiagnostic] = []
    /// One line each for standard error (what an nmap-service-probes file could not give).
    public var notes: [String] = []

    public init(services: [[UInt16: PortService]], diagnostics: [MatchDiagnostic] = []) {
        self.services = services
        self.diagnostics = diagnostics
    }
}

/// A running capture of the scan's own packets (ReconCapture's), started before the first
/// connect and stopped after the last.
public protocol HandshakeCapture: Sendable {
    /// Stops capturing; returns what the report says about the capture.
    func stop() -> CaptureSummary
    /// The packets of one port, after `stop`; nil when none were seen.
    func handshake(for address: IPAddress, port: UInt16) -> Handshake?
}

/// What an audit needs: its rules, the waivers of accepted findings, the failure threshold.
public struct AuditPlan: Sendable {
    public let rules: AuditRules
    public let waivers: Waivers
    public let threshold: AuditThreshold
    /// `--baseline`: findings already known, which never fail the run.
    public var baseline: AuditBaseline?

    public init(rules: AuditRules, waivers: Waivers, threshold: AuditThreshold, baseline: AuditBaseline? = nil) {
        self.rules = rules
        self.waivers = waivers
        self.threshold = threshold
        self.baseline = baseline
    }

    /// The plan of `--audit-rules`, `--waivers` and `--fail-on` (default `low`): rules as
    /// `AuditRules.load` finds them, every waiver file read; a bad file throws its FILE:LINE error.
    public static func load(rulesFiles: [String], waiverFiles: [String], failOn: String?, replacing folder: String?)
        throws -> AuditPlan
    {
        let rules = try AuditRules.load(replacing: folder, extra: rulesFiles)
        var waivers = Waivers()
        for file in waiverFiles { waivers = waivers.merging(try Waivers(contentsOf: file)) }
        return AuditPlan(rules: rules, waivers: waivers, threshold: AuditThreshold(failOn ?? "low") ?? .never)
    }
}

/// A checked scan request: what to scan, how, what to list, whether to audit, and the facts the
/// report states about the run.
public struct ScanRequest: Sendable {
    /// The authorized targets, ports and scope policy.
    public var plan: ScanPlan
    /// Timing, retries, parallelism, pacing.
    public var options: ScanOptions
    /// Which ports are listed one by one.
    public var listing: PortListing
    /// Set to audit what open ports disclose (needs a prober).
    public var audit: AuditPlan?
    /// recon's version and the command line (without the program name), for the report.
    public var version: String
    public var arguments: [String]
    /// When the run began (seconds since 1970): loading rules counts toward `elapsed_s`.
    public var startedAt: Double

    public init(
        plan: ScanPlan, options: ScanOptions, listing: PortListing = PortListing(), audit: AuditPlan? = nil,
        version: String, arguments: [String], startedAt: Double
    ) {
        self.plan = plan
        self.options = options
        self.listing = listing
        self.audit = audit
        self.version = version
        self.arguments = arguments
        self.startedAt = startedAt
    }

    /// One-line notes about the request to show before scanning: `allow-wide` rules in force.
    public var notes: [String] {
        plan.policy.rules.filter { $0.action == .allow && $0.block.isWide }.map { rule in
            "note: \(TerminalText.escaped(rule.origin)) allows the wide block \(rule.block) (allow-wide)"
        }
    }
}

/// How a scan ended: the report the sinks were given, or why there is none.
public struct ScanResult: Sendable {
    /// The final report (listed ports, summaries, findings); nil when the scan could not run.
    public var report: ScanReport?
    /// Why the scan could not run at all (no thread could start connects); no report was ended.
    public var failure: ScanFailure?
    /// The signal that stopped the run (SIGINT, SIGTERM), or 0.
    public var stopSignal: Int32
    /// Why an output could not be written to the end (a closed pipe is not a failure).
    public var writeError: String?

    /// Ports recon itself could not test (`error` with reason `local-error`, listed or not), and
    /// the errno names behind them.
    public var untestedPorts: (count: Int, errnos: [String]) = (0, [])

    /// Open ports recon could not fully probe for a local reason, and the errno names behind them.
    public var unprobedPorts: (count: Int, errnos: [String]) {
        let errors = (report?.hosts ?? []).flatMap { $0.ports.compactMap(\.probeError) }
        return (errors.count, Set(errors).sorted())
    }

    /// What recon itself could not do for a local reason (ports untested, open ports not fully
    /// probed), in one line with the remedy; nil when nothing. Such a run must not look like a
    /// success, though its report is written.
    public var localProblem: String? {
        let untested = untestedPorts
        if untested.count > 0 {
            return "\(untested.count) port\(untested.count == 1 ? "" : "s") could not be tested "
                + "(local-error: \(untested.errnos.joined(separator: ", "))); the report lists them as error"
        }
        let unprobed = unprobedPorts
        guard unprobed.count > 0 else { return nil }
        let hint =
            unprobed.errnos.contains("EMFILE")
            ? "raise the open-file limit (ulimit -n \(ResourceLimits.openFileLimit()))"
            : unprobed.errnos.contains("EADDRNOTAVAIL")
                ? "no local port was free (see net.ipv4.ip_local_port_range)" : "the system was short of resources"
        return "\(unprobed.count) open port\(unprobed.count == 1 ? "" : "s") could not be fully probed: "
            + "\(unprobed.errnos.joined(separator: ", ")), a local failure marked in the report; \(hint)"
    }

    /// True when the audit found something at or above its threshold that is neither waived nor
    /// impossible to hide.
    public var auditFailed: Bool { report?.audit?.failed == true }
}
