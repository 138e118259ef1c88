/// A scan as a command line describes it, in plain values (what `recon scan` and `recon audit`
/// were given): `validate()` checks the values alone, `request(audit:)` turns them into a checked
/// `ScanRequest` (resolving and scope-checking the targets). The executable only fills it in.
public struct ScanSettings: Sendable {
    /// Targets, then the port list unless `ports` is set.
    public var arguments: [String] = []
    public var ports: String?
    /// `-iL`: a file of more targets (`-` standard input).
    public var inputList: String?
    /// `--top-ports N`: the first N ports of the frequency table instead of a port list.
    public var topPorts: Int?
    /// `--exclude HOSTS` (comma-separated) and `--exclude-file FILE`: addresses to skip.
    public var exclude: String?
    public var excludeFile: String?
    public var excludePorts: String?
    public var policyFiles: [String] = []
    /// Durations as `DurationText` reads them.
    public var timeout: String?
    public var minTimeout: String?
    public var maxTimeout: String?
    public var initialTimeout: String?
    public var retries = 2
    public var concurrency: Int?
    public var rate: Double?
    public var threads: Int?
    /// `--open` and `--show STATES`.
    public var openOnly = false
    public var show: String?
    /// Probing: `--banner`, `--http`, `--banner-timeout`, `--banner-bytes`, `--rules`, `--nmap-probes`.
    public var banner = false
    public var http = false
    public var bannerTimeout: String?
    public var bannerBytes: Int?
    public var rulesFiles: [String] = []
    public var nmapProbes: String?
    /// Capture: `--capture`, `--pcap-out`, `--capture-buffer`.
    public var capture = false
    public var pcapOut: String?
    public var captureBuffer: Int?
    /// True for an audit (`recon audit`, `scan --audit`).
    public var audit = false
    /// The outputs: `--format`, `-o`, `--output`, `-oX`, `-oN`, `-oA`.
    public var outputs = OutputRequest()
    /// The terminal: `-q`, `-v`, `--no-color`, and `--stats-every` as a duration.
    public var quiet = false
    public var verbose = false
    public var noColour = false
    public var statsEvery: String?

    public init() {}

    /// How the run talks to the terminal (`validate` checked `statsEvery`).
    public var console: ConsoleOptions {
        var console = ConsoleOptions()
        (console.quiet, console.verbose, console.noColour) = (quiet, verbose, noColour)
        console.statsEvery = statsEvery.flatMap { try? DurationText.nanoseconds($0, option: "--stats-every") }
        return console
    }

    /// The console run of `request` into these settings' outputs.
    public func consoleRun(_ request: ScanRequest) throws(SetupError) -> ConsoleRun {
        ConsoleRun(request: request, destinations: try outputs.destinations(), shown: shownStates, console: console)
    }

    /// True when open ports are probed (`--banner`, `--http`, an audit).
    public var probes: Bool { banner || http || audit }
    /// True when packets are captured.
    public var captures: Bool { capture || pcapOut != nil }
    /// The states `--show` lists one by one.
    public var shownStates: Set<PortState> {
        Set((show ?? "").split(separator: ",").compactMap { PortState(rawValue: String($0)) })
    }

    /// Checks each value and the options that only work with another; throws a one-line reason.
    public func validate() throws(SetupError) {
        let checks: [(Bool, String)] = [
            ((0...20).contains(retries), "--retries must be 0-20"),
            (concurrency.map { (1...65536).contains($0) } ?? true, "--concurrency must be 1-65536"),
            (
                rate.map { (0.001...10_000_000).contains($0) } ?? true,
                "--rate must be 0.001-10000000 (connects per second)"
            ),
            (threads.map { (1...64).contains($0) } ?? true, "--threads must be 1-64"),
            (captureBuffer.map { (1...1024).contains($0) } ?? true, "--capture-buffer must be 1-1024 (MiB)"),
            (bannerBytes.map { (16...(1 << 20)).contains($0) } ?? true, "--banner-bytes must be 16-1048576"),
            (captureBuffer == nil || captures, "--capture-buffer needs --capture or --pcap-out"),
        ]
        if let failed = checks.first(where: { !$0.0 }) { throw SetupError(.usage, failed.1) }
        // An option that only works with another is an error without it, not silently ignored.
        let adaptive = [
            ("--min-timeout", minTimeout), ("--max-timeout", maxTimeout), ("--initial-timeout", initialTimeout),
        ]
        if timeout != nil, let given = adaptive.first(where: { $0.1 != nil }) {
            throw SetupError(.usage, "\(given.0) has no effect with --timeout (a fixed timeout): give one or the other")
        }
        let probeOptions = [
            ("--rules", !rulesFiles.isEmpty), ("--nmap-probes", nmapProbes != nil),
            ("--banner-timeout", bannerTimeout != nil), ("--banner-bytes", bannerBytes != nil),
        ]
        if !probes, let given = probeOptions.first(where: { $0.1 }) {
            throw SetupError(.usage, "\(given.0) needs --banner (or --http, --audit): without them nothing is probed")
        }
        do throws(DurationError) {
            if let statsEvery { _ = try DurationText.nanoseconds(statsEvery, option: "--stats-every") }
        } catch {
            throw SetupError(.usage, error.description)
        }
        let destinations = try outputs.destinations()
        if !audit && destinations.contains(where: { $0.format == .sarif }) {
            throw SetupError(.usage, "--format sarif needs --audit (or use 'recon audit')")
        }
        for name in show?.split(separator: ",", omittingEmptySubsequences: false) ?? [] {
            guard let state = PortState(rawValue: String(name)), state != .open else {
                throw SetupError(.usage, "--show takes closed, filtered, error (comma-separated), not '\(name)'")
            }
        }
    }

    /// The checked request: ports parsed, targets read, resolved and scope-checked, timing set.
    /// Nothing is sent; `startedAt` is when the run began (loading rules counts toward it).
    public func request(audit plan: AuditPlan?, version: String, commandLine: [String], startedAt: Double)
        throws(SetupError) -> ScanRequest
    {
        var specs = arguments
        if specs.isEmpty && inputList == nil {
            throw SetupError(.usage, "no target given: recon scan TARGET... PORTS (e.g. recon scan 127.0.0.1 1-1024)")
        }
        if ports != nil && topPorts != nil { throw SetupError(.usage, "give -p or --top-ports, not both") }
        var portText = ports
        do throws(PortSpecError) {
            portText = try topPorts.map(TopPorts.first) ?? portText
        } catch {
            throw SetupError(.usage, error.description)
        }
        if portText == nil && (specs.count > 1 || inputList != nil) { portText = specs.popLast() }
        guard let portText else {
            throw SetupError(.usage, "missing port list: recon scan TARGET... PORTS (e.g. 1-1024)")
        }
        // `recon scan 127.0.0.1 22 80`: the ports come last, as one list.
        if let stray = specs.first(where: { IPAddress($0) == nil && (try? PortList(parsing: $0)) != nil }) {
            throw SetupError(
                .usage, "'\(stray)' looks like ports, not a target: give the ports last as one list (22,80) or with -p")
        }
        var options = ScanOptions()
        let scanPlan: ScanPlan
        do {
            if let inputList { specs += try TargetResolver.readList(path: inputList) }
            var excluded = (exclude ?? "").split(separator: ",").map(String.init)
            if let excludeFile { excluded += try TargetResolver.readList(path: excludeFile) }
            scanPlan = try ScanPlan.make(
                targets: specs, ports: portText, excludedPorts: excludePorts, policyFiles: policyFiles,
                excludedTargets: excluded, interfaces: InterfaceAddress.current())
            options.timeout = try TimeoutPolicy.parse(
                fixed: timeout, minimum: minTimeout, maximum: maxTimeout, initial: initialTimeout)
        } catch let error as ScanPlanError {
            switch error {
            case .invalidInput(let message): throw SetupError(.usage, message)
            case .unresolved(let message): throw SetupError(.unresolved, message)
            case .outOfScope(let refusal): throw SetupError(.outOfScope, refusal.description)
            }
        } catch {
            throw SetupError(.usage, "\(error)")
        }
        options.retries = retries
        // An explicit --concurrency is honoured even above the descriptor limit: the engine backs
        // off on EMFILE instead of misreporting ports.
        options.concurrency =
            concurrency ?? ResourceLimits.defaultConcurrency(openFileLimit: ResourceLimits.raiseOpenFileLimit())
        options.rate = rate
        options.threads = threads
        return ScanRequest(
            plan: scanPlan, options: options,
            listing: PortListing(openOnly: openOnly, closedPorts: shownStates.contains(.closed)), audit: plan,
            version: version, arguments: commandLine, startedAt: startedAt)
    }
}

/// Why a scan could not be set up, and which kind of problem it is (the executable maps the
/// kind to its exit code). Nothing has been sent when this is thrown.
public struct SetupError: Error, Sendable, CustomStringConvertible {
    /// The kinds of problem, by the exit codes they get.
    public enum Kind: Sendable {
        /// Bad input: an option, port list, target, file (exit 2).
        case usage
        /// A host name did not resolve (exit 4).
        case unresolved
        /// A target is outside the scope policy (exit 3).
        case outOfScope
        /// recon cannot run here: a limit too low (exit 1).
        case resources
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
