import ArgumentParser
import CReconShim
import ReconCore
import ReconProbes

#if canImport(Glibc)
    import Glibc
#endif

/// One `recon scan` or `recon audit` run: arguments checked into a plan, the engine run, the
/// report written (with the audit's findings when auditing).
struct ScanInvocation {
    let command: ScanArguments
    /// Set when auditing (`recon audit`, `scan --audit`).
    let audit: AuditSetup?
    let plan: ScanPlan
    let options: ScanOptions
    /// When the run began: loading rules (nmap's probes file takes seconds) counts toward `elapsed_s`.
    let startedAt = Timestamp.now()
    /// Set when open ports are to be probed (`--banner`, `--http`).
    let prober: ServiceProber?

    init(command: ScanArguments, audit: AuditSetup?) throws(ReconFailure) {
        self.command = command
        self.audit = audit
        var targetSpecs = command.arguments
        let portText: String
        if let ports = command.ports {
            portText = ports
        } else {
            guard let last = targetSpecs.popLast(), !targetSpecs.isEmpty || command.inputList != nil else {
                throw ReconFailure(message: "missing port list: recon scan TARGET... PORTS (e.g. 1-1024)", code: .usage)
            }
            portText = last
        }
        if let list = command.inputList {
            do {
                targetSpecs += try TargetResolver.readList(path: list)
            } catch {
                throw ReconFailure(message: error.description, code: .usage)
            }
        }
        do {
            plan = try ScanPlan.make(
                targets: targetSpecs, ports: portText, excludedPorts: command.excludePorts,
                policyFiles: command.policyFiles, interfaces: InterfaceAddress.current())
        } catch {
            switch error {
            case .invalidInput(let message): throw ReconFailure(message: message, code: .usage)
            case .unresolved(let message): throw ReconFailure(message: message, code: .unresolved)
            case .outOfScope(let refusal): throw ReconFailure(message: refusal.description, code: .outOfScope)
            }
        }
        options = try Self.options(from: command)
        prober = try Self.prober(from: command, audit: audit)
        if prober != nil { try ProbeBudget.checkOpenFileLimit(output: command.output != nil) }
        for rule in plan.policy.rules where rule.action == .allow && rule.block.isWide {
            FileOutput.standardError.write(
                "recon: note: \(TerminalText.escaped(rule.origin)) allows the wide block \(rule.block) (allow-wide)\n")
        }
    }

    private static func options(from command: ScanArguments) throws(ReconFailure) -> ScanOptions {
        var options = ScanOptions()
        if let fixed = command.timeout {
            options.timeout = .fixed(try duration(fixed, option: "--timeout"))
        } else {
            let minimum = try duration(command.minTimeout ?? "100ms", option: "--min-timeout")
            let maximum = try duration(command.maxTimeout ?? "10s", option: "--max-timeout")
            let initial = try duration(command.initialTimeout ?? "1s", option: "--initial-timeout")
            guard minimum <= maximum else {
                throw ReconFailure(message: "--min-timeout is greater than --max-timeout", code: .usage)
            }
            options.timeout = .adaptive(initial: initial, minimum: minimum, maximum: maximum)
        }
        options.retries = command.retries
        let openFileLimit = ResourceLimits.raiseOpenFileLimit()
        // An explicit --concurrency is honoured even above the descriptor limit: the engine backs
        // off on EMFILE instead of misreporting ports.
        options.concurrency = command.concurrency ?? ResourceLimits.defaultConcurrency(openFileLimit: openFileLimit)
        options.rate = command.rate
        options.threads = command.threads
        return options
    }

    /// A duration option in nanoseconds, or a usage failure naming the option.
    private static func duration(_ text: String, option: String) throws(ReconFailure) -> Int64 {
        do {
            return try DurationText.nanoseconds(text, option: option)
        } catch {
            throw ReconFailure(message: error.description, code: .usage)
        }
    }

    private static func prober(from command: ScanArguments, audit: AuditSetup?) throws(ReconFailure) -> ServiceProber? {
        guard command.probes || audit != nil else { return nil }
        let rules = try PolicyLocator.serviceRules(extra: command.rulesFiles, nmapProbes: command.nmapProbes)
        var options = ProbeOptions()
        options.portTimeout = try duration(command.bannerTimeout ?? "1.5s", option: "--banner-timeout")
        options.byteCap = command.bannerBytes ?? options.byteCap
        options.forceHTTP = command.http
        options.userAgent = "recon/\(Recon.version)"
        options.auditRequests = audit?.rules.requests
        do {
            return try ServiceProber(rules: rules, options: options)
        } catch {
            throw ReconFailure(message: "cannot set up TLS probing: \(error)", code: .failure)
        }
    }

    /// Fails when the address-space limit (`ulimit -v`) is too low for the run: below it, thread
    /// creation fails inside the runtime, which then retries forever or crashes. Called on the
    /// main thread before anything asynchronous starts (the first hop needs a new thread).
    static func checkAddressSpace(probing: Bool) throws(ReconFailure) {
        let required = ResourceLimits.requiredAddressSpace(probing: probing)
        if let limit = ResourceLimits.addressSpaceShortfall(required: required) {
            throw ReconFailure(
                message: "the address-space limit (ulimit -v) is \(limit >> 20) MiB, below the \(required >> 20) MiB "
                    + "this run needs: raise it (ulimit -v \(required >> 10)) or lift it (ulimit -v unlimited)",
                code: .failure)
        }
    }

    /// Checks the arguments, runs the scan (and the audit), and ends with the run's exit status.
    static func execute(_ arguments: ScanArguments, audit: AuditSetup?) async throws {
        let status = try await ScanInvocation(command: arguments, audit: audit).run()
        if status != .success { throw ExitCode(status.rawValue) }
    }

    /// Runs the scan (and the capture and probes) and writes the report; returns the exit status.
    func run() async -> ExitStatus {
        signal(SIGPIPE, SIG_IGN)
        recon_install_stop_handlers()
        let engine = ConnectEngine(options: options)
        var context = ScanContext(
            version: Recon.version, arguments: Array(CommandLine.arguments.dropFirst()),
            policySources: plan.policy.sources, ports: plan.ports, options: options, startedAt: startedAt,
            endedAt: startedAt, openOnly: command.open)
        var capture: CaptureSession?
        if command.capture || command.pcapOut != nil {
            do {
                capture = try CaptureSession(
                    targets: plan.targets, bufferMiB: command.captureBuffer ?? 32, pcapOut: command.pcapOut)
            } catch {
                error.report()
                return error.code
            }
        }
        // The output is created (or truncated) only now, after every check that can refuse the
        // run: a refused run leaves an existing report as it was.
        let sink: FileOutput
        do {
            sink =
                try command.output.map { path throws(ReconFailure) in try FileOutput.create(path: path) }
                ?? FileOutput.standardOutput
        } catch {
            _ = capture?.finish()
            error.report()
            return error.code
        }
        // Open ports are written after probing, with what they said.
        let lines =
            command.format == .jsonl
            ? JSONLinesWriter(sink: sink, targets: plan.targets, openOnly: command.open, probing: prober != nil) : nil
        if let lines {
            let layout = engine.layout(workItems: plan.targets.count * plan.ports.ports.count)
            lines.start(ReportBuilder.runInfo(outcome: nil, layout: layout, context: context))
        }
        // A record is written as soon as all it will say is known: at once, after the capture
        // stops (handshakes), or after probing (open ports with what they said).
        let streamNow = capture == nil
        var handler: ResultHandler?
        if let lines, streamNow {
            handler = { index, result in lines.scanned(index, result) }
        }
        var outcome = engine.scan(targets: plan.targets, ports: plan.ports, onResult: handler)
        let captured = capture?.finish()
        if let failure = outcome.failure {
            // Nothing was scanned: no report, rather than one of made-up results.
            ReconFailure(message: failure.description, code: .failure).report()
            return .failure
        }
        if let lines, !streamNow {
            for (index, results) in outcome.results.enumerated() {
                let handshakes = captured?.0[plan.targets[index].address]
                for result in results { lines.scanned(index, result, handshake: handshakes?[result.port]) }
            }
        }
        var services: [[UInt16: PortService]]?
        if let prober, outcome.stopSignal == 0 {
            let open: [[PortResult]] = outcome.results.map { results in results.filter { $0.state == .open } }
            let openByPort = open.map { results in Dictionary(uniqueKeysWithValues: results.map { ($0.port, $0) }) }
            let handshakes = captured?.0
            let targets = plan.targets
            let probed = await prober.probe(
                targets: targets, ports: open.map { $0.map(\.port) }, shouldStop: { recon_stop_signal() }
            ) { index, port, service in
                guard let lines, let result = openByPort[index][port] else { return }
                lines.port(index, result, service: service, handshake: handshakes?[targets[index].address]?[port])
            }
            services = probed.services
            warn(probed.diagnostics)
            let signal = recon_stop_signal()
            if signal != 0 {
                outcome.stopSignal = signal
                outcome.complete = false
            }
        }
        // Open ports that probing did not reach (stopped, or the connect phase was) still get
        // their record before `end`.
        if let lines, prober != nil {
            for (index, results) in outcome.results.enumerated() {
                for result in results where result.state == .open && services?[index][result.port] == nil {
                    lines.port(index, result, handshake: captured?.0[plan.targets[index].address]?[result.port])
                }
            }
        }
        context.endedAt = Timestamp.now()
        var report = ReportBuilder.build(
            targets: plan.targets, outcome: outcome, services: services, handshakes: captured?.0,
            capture: captured?.1, context: context)
        if let audit {
            addFindings(audit, to: &report)
            // A stop during the audit keeps the findings made so far, marked incomplete.
            if outcome.stopSignal == 0 && recon_stop_signal() != 0 {
                outcome.stopSignal = recon_stop_signal()
                report.run.markInterrupted(by: outcome.stopSignal)
            }
        }
        switch command.format {
        case .table: sink.write(tableRendering().render(report))
        case .json: sink.write(encode { try JSONRendering().document(report) })
        case .jsonl: lines?.end(report)
        case .sarif: sink.write(encode { try SARIFRendering().document(report, rules: audit?.rules ?? AuditRules()) })
        }
        if sink.failure != 0 && sink.failure != EPIPE {
            ReconFailure(message: "writing output failed: \(String(cString: strerror(sink.failure)))", code: .failure)
                .report()
            return .failure
        }
        if outcome.stopSignal == 0, let failure = ProbeBudget.unprobedFailure(in: report) {
            failure.report()
            return .failure
        }
        switch outcome.stopSignal {
        case 0:
            if let untested = Self.untested(outcome) {
                ReconFailure(message: untested, code: .failure).report()
                return .failure
            }
            return report.audit?.failed == true ? .findings : .success
        case SIGTERM: return .terminated
        default: return .interrupted
        }
    }

    /// What to say when recon itself could not test some ports (`error`, `local-error`): the
    /// report lists them, and the run must not look like a success.
    private static func untested(_ outcome: ScanOutcome) -> String? {
        var count = 0
        var errnos = Set<String>()
        for results in outcome.results {
            for result in results where result.reason == .localError {
                count += 1
                if let name = result.errnoName { errnos.insert(name) }
            }
        }
        guard count > 0 else { return nil }
        let cause = errnos.sorted().joined(separator: ", ")
        return "\(count) port\(count == 1 ? "" : "s") could not be tested (local-error: \(cause)); "
            + "the report lists them as error"
    }

    /// Runs the audit rules over what probing found, applies the waivers (saying on standard
    /// error which have expired), and puts findings and verdict into the report.
    private func addFindings(_ audit: AuditSetup, to report: inout ScanReport) {
        let today = String(Timestamp.rfc3339(Timestamp.now()).prefix(10))
        let audited = Auditor(rules: audit.rules).audit(report, shouldStop: { recon_stop_signal() != 0 })
        warn(audited.diagnostics)
        let (findings, waivers) = audit.waivers.apply(to: audited.findings, today: today)
        for waiver in waivers where waiver.expired {
            FileOutput.standardError.write(
                "recon: waiver \(waiver.origin) expired on \(waiver.expires ?? "?"); it no longer applies\n")
        }
        report.findings = findings
        report.audit = AuditSummary(
            rules: audit.rules, threshold: audit.threshold, findings: findings, waivers: waivers)
    }

    /// One line on standard error for each rule whose matching was cut short.
    private func warn(_ diagnostics: [MatchDiagnostic]) {
        for diagnostic in diagnostics {
            FileOutput.standardError.write("recon: \(TerminalText.oneLine(diagnostic.description))\n")
        }
    }

    private func tableRendering() -> TableRendering {
        let names = (command.show ?? "").split(separator: ",").map(String.init)
        return TableRendering(alwaysShown: Set(names.compactMap(PortState.init(rawValue:))))
    }
}

/// Writes JSON Lines records (start, port, end) to the output; safe to call from scanning threads.
struct JSONLinesWriter: Sendable {
    let sink: FileOutput
    let targets: [AuthorizedTarget]
    let openOnly: Bool
    /// Open ports are probed: their records wait for `port(_:_:service:)`.
    let probing: Bool
    let json = JSONRendering()
    /// Each target's address as text, made once rather than for every port.
    private let addresses: [String]

    init(sink: FileOutput, targets: [AuthorizedTarget], openOnly: Bool, probing: Bool) {
        self.sink = sink
        self.targets = targets
        self.openOnly = openOnly
        self.probing = probing
        addresses = targets.map(\.address.description)
    }

    func start(_ run: RunInfo) {
        sink.write(encode { try json.line(StartRecord(run: run, targets: targets)) })
    }

    /// The record of a scanned port, unless probing will write it later.
    func scanned(_ index: Int, _ result: PortResult, handshake: Handshake? = nil) {
        if !(probing && result.state == .open) { port(index, result, handshake: handshake) }
    }

    func port(_ index: Int, _ result: PortResult, service: PortService? = nil, handshake: Handshake? = nil) {
        guard !openOnly || result.state == .open else { return }
        let record = PortRecord(
            address: addresses[index], hostname: targets[index].hostname, result: result, service: service,
            handshake: handshake)
        sink.write(encode { try json.line(record) })
    }

    func end(_ report: ScanReport) {
        for finding in report.findings ?? [] { sink.write(encode { try json.line(FindingRecord(finding)) }) }
        sink.write(encode { try json.line(EndRecord(report: report)) })
    }
}

/// Encodes, or aborts with a clear message: encoding our own report types cannot fail.
private func encode(_ body: () throws -> [UInt8]) -> [UInt8] {
    do {
        return try body()
    } catch {
        fatalError("recon: could not encode the report: \(error)")
    }
}
