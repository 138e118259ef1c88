#if canImport(Glibc)
    import Glibc
#endif

/// How a run talks to the person at the terminal: `-q`, `-v`, `--stats-every`, `--no-color`.
public struct ConsoleOptions: Sendable, Equatable {
    /// No progress and no notices (errors still show).
    public var quiet = false
    /// Per-host timing and the adaptive timeout's state at the end; the table at full width.
    public var verbose = false
    /// A plain progress line on standard error at this interval (nanoseconds), even when it is not
    /// a terminal (CI logs).
    public var statsEvery: Int64?
    /// No colour even on a terminal.
    public var noColour = false

    public init() {}
}

/// A scan run from a command line: the outputs opened (only now, after every check that can
/// refuse the run), progress and notices on standard error, open ports shown as they are found
/// when the table goes to the terminal, the pipeline run, and what went wrong writing.
public struct ConsoleRun: Sendable {
    public var request: ScanRequest
    public let destinations: [ReportDestination]
    /// States the table lists one by one (`--show`).
    public let shown: Set<PortState>
    public let console: ConsoleOptions
    let standardError: FileOutput

    public init(
        request: ScanRequest, destinations: [ReportDestination], shown: Set<PortState>, console: ConsoleOptions,
        standardError: FileOutput = .standardError
    ) {
        self.request = request
        self.destinations = destinations
        self.shown = shown
        self.console = console
        self.standardError = standardError
    }

    /// A one-line note on standard error, escaped, unless quiet.
    public func notice(_ text: String) {
        if !console.quiet { standardError.write("recon: \(TerminalText.oneLine(text))\n") }
    }

    /// Opens the outputs and runs `pipeline` into them, then into `extraSinks` (such as the
    /// store); throws when an output cannot be created. A write that failed (other than a closed
    /// pipe) is in the result's `writeError`.
    public func run(
        _ pipeline: ScanPipeline, capture: (any HandshakeCapture)?, extraSinks: [any ReportSink] = []
    ) async throws(SetupError) -> ScanResult {
        for note in request.notes { notice(note) }
        var outputs: [FileOutput] = []
        for destination in destinations {
            do {
                outputs.append(try destination.path.map(FileOutput.create(path:)) ?? .standardOutput)
            } catch {
                throw SetupError(.usage, error.description)
            }
        }
        let tableOnTerminal =
            destinations.contains { $0.path == nil && $0.format == .table }
            && TerminalFacts.isTerminal(1)
        let sinks = zip(destinations, outputs).map { destination, output in
            let onTerminal = destination.path == nil && TerminalFacts.isTerminal(1)
            let table = TableRendering(
                alwaysShown: shown, width: onTerminal && !console.verbose ? TerminalFacts.width(1) : nil,
                colour: onTerminal && !console.noColour && TerminalFacts.wantsColour(1))
            return destination.format.sink(to: output, request: request, table: table)
        }
        let display = makeDisplay(announcingOpenPorts: tableOnTerminal)
        var pipeline = pipeline
        pipeline.progress = display?.progress
        pipeline.notice = { [self] in notice($0) }
        display?.display.start()
        var result = await pipeline.run(request, capture: capture, sinks: sinks + extraSinks)
        display?.display.stop()
        if console.verbose, let report = result.report { for line in Self.timingLines(report) { notice(line) } }
        if let failed = outputs.first(where: { $0.failure != 0 && $0.failure != EPIPE }) {
            result.writeError = "writing output failed: \(String(cString: strerror(failed.failure)))"
        }
        return result
    }

    /// The progress display the console asks for, if any: a status line on a terminal, plain
    /// lines with `--stats-every`, nothing when quiet.
    private func makeDisplay(announcingOpenPorts: Bool) -> (progress: ScanProgress, display: ProgressDisplay)? {
        guard !console.quiet else { return nil }
        let mode: ProgressDisplay.Mode
        if TerminalFacts.isTerminal(2) {
            mode = .terminal(refresh: 200_000_000)
        } else if let every = console.statsEvery {
            mode = .lines(every: every)
        } else {
            return nil
        }
        let total = request.plan.targets.count * request.plan.ports.ports.count
        let hosts = request.plan.targets.map(\.address.description)
        let announcer = Announcer()
        let progress = ScanProgress(total: total) { host, port in
            announcer.display?.announce("open \(port)/tcp on \(hosts[host])")
        }
        let display = ProgressDisplay(
            progress: progress, output: standardError, mode: mode, width: TerminalFacts.width(2))
        if announcingOpenPorts, case .terminal = mode { announcer.display = display }
        return (progress, display)
    }

    /// Per-host timing for `-v`: the round-trip estimate and the adaptive timeout at the end.
    static func timingLines(_ report: ScanReport) -> [String] {
        report.hosts.map { host in
            let timing = host.timing
            let srtt = timing.srttMs.map { "srtt \($0) ms, rttvar \(timing.rttvarMs ?? 0) ms" } ?? "no answer"
            return "host \(host.address): \(srtt), timeout \(timing.timeoutMs) ms, \(host.summary.scanned) ports "
                + "in \(report.run.elapsedSeconds) s"
        }
    }
}

/// Who announces open ports: set once the display exists (the progress it reads is made first).
private final class Announcer: @unchecked Sendable {
    /// Written once before the scan starts, read from the scanning threads afterwards.
    var display: ProgressDisplay?
}
