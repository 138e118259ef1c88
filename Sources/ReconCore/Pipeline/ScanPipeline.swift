/// Runs one scan from a checked request to the sinks: connect (with the capture running around
/// it), probe the open ports, audit what they said, and hand every listed port to the sinks as
/// soon as all it will say is known, then the finished report. The engine, prober, clock, stop
/// signal and notice channel are injected, so tests run whole scans in-process on real sockets.
public struct ScanPipeline: Sendable {
    /// The connect scanner.
    public var engine: ConnectEngine
    /// Probes open ports; nil scans without banners (an audit needs one).
    public var prober: (any PortProbing)?
    /// Wall-clock time, seconds since 1970.
    public var clock: @Sendable () -> Double
    /// The signal that asks the run to stop (SIGINT, SIGTERM), or 0.
    public var stopSignal: @Sendable () -> Int32
    /// One-line notes for the user (rules cut short by their budget, expired waivers); the
    /// caller prints them, escaped, on standard error.
    public var notice: @Sendable (String) -> Void
    /// Where the run reports how far it has got (a progress display reads it), if anywhere.
    public var progress: ScanProgress?

    public init(
        engine: ConnectEngine, prober: (any PortProbing)? = nil,
        clock: @escaping @Sendable () -> Double = Timestamp.now,
        stopSignal: @escaping @Sendable () -> Int32, notice: @escaping @Sendable (String) -> Void = { _ in },
        progress: ScanProgress? = nil
    ) {
        self.progress = progress
        self.engine = engine
        self.prober = prober
        self.clock = clock
        self.stopSignal = stopSignal
        self.notice = notice
    }

    /// Runs `request`. `capture`, when given, is already running (started before the outputs
    /// were opened, since it can refuse the run) and is stopped here after the last connect.
    public func run(_ request: ScanRequest, capture: (any HandshakeCapture)?, sinks: [any ReportSink]) async
        -> ScanResult
    {
        let targets = request.plan.targets
        let tallies = HostTallies(count: targets.count, listing: request.listing)
        var context = ScanContext(
            version: request.version, arguments: request.arguments, policySources: request.plan.policy.sources,
            ports: request.plan.ports, options: request.options, startedAt: request.startedAt,
            endedAt: request.startedAt, listing: request.listing)
        let layout = engine.layout(workItems: targets.count * request.plan.ports.ports.count)
        let header = ReportBuilder.runInfo(outcome: nil, layout: layout, context: context)
        for sink in sinks { await sink.begin(run: header, targets: targets) }

        // A listed port goes to the sinks at once, unless its handshake (known when the capture
        // stops) or, for an open port, what probing learns is still to come.
        let probing = prober != nil
        let waitsForCapture = capture != nil
        let progress = self.progress
        progress?.enter(.connect)
        var outcome = engine.scan(targets: targets, ports: request.plan.ports) { index, result in
            progress?.decided(index, result)
            guard tallies.record(index, result), !waitsForCapture, !(probing && result.state == .open) else { return }
            let entry = PortEntry(result)
            for sink in sinks { sink.port(index, entry) }
        }
        let captureSummary = capture?.stop()
        if let failure = outcome.failure {
            // Nothing was scanned: no report, rather than one of made-up results.
            return ScanResult(report: nil, failure: failure, stopSignal: outcome.stopSignal)
        }
        let hostTallies = (0..<targets.count).map { tallies[$0] }
        var handshake: (@Sendable (IPAddress, UInt16) -> Handshake?)?
        if let capture {
            handshake = { address, port in capture.handshake(for: address, port: port) }
        }
        if waitsForCapture {
            for (index, tally) in hostTallies.enumerated() {
                for result in tally.sortedListed where !(probing && result.state == .open) {
                    let entry = PortEntry(result, handshake: handshake?(targets[index].address, result.port))
                    for sink in sinks { sink.port(index, entry) }
                }
            }
        }

        var services: [[UInt16: PortService]]?
        if let prober, outcome.stopSignal == 0 {
            services = await probe(prober, targets: targets, tallies: hostTallies, handshake: handshake, sinks: sinks)
            outcome.stopAfterwards(stopSignal())
        }
        if probing {
            // Open ports probing did not reach (a stop came first) still go to the sinks.
            for (index, tally) in hostTallies.enumerated() {
                for result in tally.sortedListed where result.state == .open && services?[index][result.port] == nil {
                    let entry = PortEntry(result, handshake: handshake?(targets[index].address, result.port))
                    for sink in sinks { sink.port(index, entry) }
                }
            }
        }

        context.endedAt = clock()
        var report = ReportBuilder.build(
            targets: targets, tallies: hostTallies, outcome: outcome, services: services, handshake: handshake,
            capture: captureSummary, context: context)
        if let audit = request.audit {
            progress?.enter(.audit)
            addFindings(audit, to: &report)
            // A stop during the audit keeps the findings made so far, marked incomplete.
            let signal = stopSignal()
            if outcome.stopSignal == 0 && signal != 0 {
                outcome.stopSignal = signal
                report.run.markInterrupted(by: signal)
            }
        }
        progress?.enter(.done)
        for sink in sinks { await sink.end(report) }
        var localErrors: [String: Int] = [:]
        for tally in hostTallies { localErrors.merge(tally.localErrors, uniquingKeysWith: +) }
        var result = ScanResult(report: report, failure: nil, stopSignal: outcome.stopSignal)
        result.untestedPorts = (localErrors.values.reduce(0, +), localErrors.keys.sorted())
        return result
    }

    /// Probes every host's open ports; each goes to the sinks as it is done, with what it said.
    private func probe(
        _ prober: any PortProbing, targets: [AuthorizedTarget], tallies: [HostTally],
        handshake: (@Sendable (IPAddress, UInt16) -> Handshake?)?, sinks: [any ReportSink]
    ) async -> [[UInt16: PortService]] {
        let open = tallies.map { tally in tally.sortedListed.filter { $0.state == .open } }
        let openByPort = open.map { results in Dictionary(uniqueKeysWithValues: results.map { ($0.port, $0) }) }
        let progress = self.progress
        progress?.probing(open.map(\.count).reduce(0, +))
        progress?.enter(.probe)
        let probed = await prober.probe(targets: targets, ports: open.map { $0.map(\.port) }, shouldStop: stopSignal) {
            index, port, service in
            progress?.probedOne()
            guard let result = openByPort[index][port] else { return }
            let entry = PortEntry(result, service: service, handshake: handshake?(targets[index].address, port))
            for sink in sinks { sink.port(index, entry) }
        }
        for diagnostic in probed.diagnostics { notice(diagnostic.description) }
        for note in probed.notes { notice(note) }
        return probed.services
    }

    /// Runs the audit rules over what probing found, applies the waivers (noting which have
    /// expired) and the baseline, and puts findings and verdict into the report.
    private func addFindings(_ audit: AuditPlan, to report: inout ScanReport) {
        let today = String(Timestamp.rfc3339(clock()).prefix(10))
        let stopSignal = self.stopSignal
        let audited = Auditor(rules: audit.rules).audit(report, shouldStop: { stopSignal() != 0 })
        for diagnostic in audited.diagnostics { notice(diagnostic.description) }
        let (findings, waivers) = audit.waivers.apply(to: audited.findings, today: today)
        for waiver in waivers where waiver.expired {
            notice("waiver \(waiver.origin) expired on \(waiver.expires ?? "?"); it no longer applies")
        }
        var baseline: BaselineSummary?
        var marked = findings
        if let known = audit.baseline {
            let compared = known.apply(to: findings)
            marked = compared.findings
            baseline = BaselineSummary(source: known.source, findings: marked, absent: compared.absent)
        }
        report.findings = marked
        report.audit = AuditSummary(
            rules: audit.rules, threshold: audit.threshold, findings: marked, waivers: waivers, baseline: baseline)
    }
}

extension ScanOutcome {
    /// Marks the run stopped by `signal` (when non-zero and not stopped already).
    mutating func stopAfterwards(_ signal: Int32) {
        guard signal != 0, stopSignal == 0 else { return }
        stopSignal = signal
        complete = false
    }
}
