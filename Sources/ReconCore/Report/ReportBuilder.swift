#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything about a scan that the report states besides the results.
public struct ScanContext: Sendable {
    /// recon's version.
    public var version: String
    /// The command line without the program name.
    public var arguments: [String]
    /// The scope policy sources.
    public var policySources: [String]
    /// The ports requested.
    public var ports: PortList
    /// Options in force.
    public var options: ScanOptions
    /// Wall-clock start and end, as seconds since 1970 (injected so reports can be compared).
    public var startedAt: Double
    public var endedAt: Double
    /// Which ports are listed one by one (`--open`, `--show closed`); counts cover every port.
    public var listing: PortListing

    public init(
        version: String, arguments: [String], policySources: [String], ports: PortList, options: ScanOptions,
        startedAt: Double, endedAt: Double, listing: PortListing = PortListing()
    ) {
        self.version = version
        self.arguments = arguments
        self.policySources = policySources
        self.ports = ports
        self.options = options
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.listing = listing
    }
}

/// Builds the versioned report from a scan's tallies.
public enum ReportBuilder {
    /// The report of scanning `targets` (index-aligned with `tallies`, what the scan kept of each
    /// host) under `context`. `services` (per target, by port) adds what probing found to open
    /// ports; `handshake` and `capture` what the packet capture saw.
    public static func build(
        targets: [AuthorizedTarget], tallies: [HostTally], outcome: ScanOutcome,
        services: [[UInt16: PortService]]? = nil, handshake: ((IPAddress, UInt16) -> Handshake?)? = nil,
        capture: CaptureSummary? = nil, context: ScanContext
    ) -> ScanReport {
        var total = StateCounts()
        var hosts: [HostReport] = []
        for (index, target) in targets.enumerated() {
            let tally = tallies[index]
            var counts = tally.counts
            counts.unscanned = context.ports.ports.count - counts.scanned
            total = total + counts
            let estimator = outcome.estimators[index]
            hosts.append(
                HostReport(
                    address: target.address.description, family: target.address.family,
                    hostname: target.hostname, scopeRule: target.rule.description,
                    ports: tally.sortedListed.map { result in
                        PortEntry(
                            result, service: services?[index][result.port],
                            handshake: handshake?(target.address, result.port))
                    },
                    closed: tally.closedSummary,
                    summary: counts,
                    timing: HostTiming(
                        srttMs: estimator.smoothed.map { ReportRounding.milliseconds(Double($0) / 1e6) },
                        rttvarMs: estimator.smoothed == nil
                            ? nil : ReportRounding.milliseconds(Double(estimator.variance) / 1e6),
                        timeoutMs: ReportRounding.milliseconds(
                            Double(estimator.timeout(context.options.timeout)) / 1e6))))
        }
        var run = runInfo(outcome: outcome, layout: (outcome.threads, outcome.concurrency), context: context)
        run.capture = capture
        return ScanReport(schema: ScanReport.schemaIdentifier, run: run, hosts: hosts, summary: total)
    }

    /// The run header (also the first JSON Lines record).
    public static func runInfo(
        outcome: ScanOutcome?, layout: (threads: Int, concurrency: Int), context: ScanContext
    ) -> RunInfo {
        let options = context.options
        var runOptions = RunOptions(
            timeoutMode: "adaptive", retries: options.retries, concurrency: layout.concurrency,
            threads: layout.threads, rate: options.rate)
        switch options.timeout {
        case .fixed(let value):
            runOptions.timeoutMode = "fixed"
            runOptions.timeoutMs = Double(value) / 1e6
        case .adaptive(_, let minimum, let maximum):
            runOptions.minTimeoutMs = Double(minimum) / 1e6
            runOptions.maxTimeoutMs = Double(maximum) / 1e6
        }
        return RunInfo(
            tool: "recon", version: context.version, arguments: context.arguments,
            started: Timestamp.rfc3339(context.startedAt), ended: Timestamp.rfc3339(context.endedAt),
            elapsedSeconds: ReportRounding.milliseconds(context.endedAt - context.startedAt),
            complete: outcome?.complete ?? false,
            interruptedBy: outcome.flatMap { $0.stopSignal == 0 ? nil : SignalName.name($0.stopSignal) },
            ports: context.ports.description, portCount: context.ports.ports.count,
            policy: context.policySources, options: runOptions, localFailures: outcome?.localFailures ?? 0)
    }
}

extension RunInfo {
    /// Marks the run as stopped by `signal` after its report was built (during the audit).
    public mutating func markInterrupted(by signal: Int32) {
        complete = false
        interruptedBy = SignalName.name(signal)
    }
}

/// Signal names for the report.
enum SignalName {
    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }
}

/// Wall-clock timestamps.
public enum Timestamp {
    /// Seconds since 1970 now.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// RFC 3339 UTC with milliseconds: `2026-11-21T23:46:40.123Z`.
    public static func rfc3339(_ seconds: Double) -> String {
        var whole = time_t(seconds.rounded(.down))
        var millis = Int(((seconds - Double(whole)) * 1000).rounded())
        if millis == 1000 {
            whole += 1
            millis = 0
        }
        var parts = tm()
        gmtime_r(&whole, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
