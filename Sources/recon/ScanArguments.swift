import ArgumentParser
import ReconCore

/// The options of a scan, shared by `recon scan` and `recon audit`.
struct ScanArguments: ParsableArguments {
    @Argument(help: "Targets (IP, CIDR, host name), then the port list unless -p is given.")
    var arguments: [String] = []

    // Options whose values may start with '-' (`-p -100`, `--timeout -1s`) parse them as values
    // (`.unconditional`), so a bad value gets a message about the value, not "missing value".
    @Option(
        name: .customShort("p"), parsing: .unconditional,
        help: "Ports: 1-1024, 22,80,8000-8100, '-' or 'all' for 1-65535.")
    var ports: String?

    @Option(
        name: .customLong("iL", withSingleDash: true),
        help: "Read targets from a file (separated by spaces or lines, # comments).")
    var inputList: String?

    @Option(
        name: .customLong("exclude-ports"), parsing: .unconditional,
        help: "Ports to leave out, same syntax as the port list.")
    var excludePorts: String?

    @Option(name: .customLong("policy"), help: "Scope policy file adding own hosts (repeatable). See policies/.")
    var policyFiles: [String] = []

    @Option(parsing: .unconditional, help: "Fixed connect timeout (500ms, 2s); overrides the adaptive timeout.")
    var timeout: String?

    @Option(
        name: .customLong("min-timeout"), parsing: .unconditional,
        help: "Lower bound of the adaptive timeout (default: 100ms).")
    var minTimeout: String?

    @Option(
        name: .customLong("max-timeout"), parsing: .unconditional,
        help: "Upper bound of the adaptive timeout (default: 10s).")
    var maxTimeout: String?

    @Option(
        name: .customLong("initial-timeout"), parsing: .unconditional,
        help: "Adaptive timeout before the first answer (default: 1s).")
    var initialTimeout: String?

    @Option(parsing: .unconditional, help: "Extra connects for a port that does not answer.")
    var retries: Int = 2

    @Option(parsing: .unconditional, help: "Connects in flight (default: from the open-file limit, at most 4096).")
    var concurrency: Int?

    @Option(
        parsing: .unconditional, help: "At most this many connects per second, retries included (0.001-10000000).")
    var rate: Double?

    /// Connects per second that `--rate` accepts: one per 1000 s up to ten million per second
    /// (beyond the fastest a connect scan gets; NaN and infinity are outside).
    static let rateRange = 0.001...10_000_000.0

    @Option(
        parsing: .unconditional, help: "Event-loop threads at most (default: one per core; small scans use fewer).")
    var threads: Int?

    @Flag(help: "Only list open ports (table, JSON and JSON Lines); counts still cover all ports.")
    var open = false

    @Option(help: "States to list in the table even when numerous: closed, filtered, error (comma-separated).")
    var show: String?

    @Flag(help: "Read each open port's banner; probe silent ports and identify the service.")
    var banner = false

    @Flag(help: "Send the HTTP probe to every open port, also to ones that sent a banner (implies --banner).")
    var http = false

    @Option(
        name: .customLong("banner-timeout"), parsing: .unconditional,
        help: "Whole-port deadline for banner and probes (default: 1.5s).")
    var bannerTimeout: String?

    @Option(
        name: .customLong("banner-bytes"), parsing: .unconditional,
        help: "Keep at most this many bytes of a banner or probe reply (default: 4096).")
    var bannerBytes: Int?

    @Option(
        name: .customLong("rules"),
        help: "Extra service rules file (repeatable), after policies/services.rules. See policies/.")
    var rulesFiles: [String] = []

    @Option(
        name: .customLong("nmap-probes"),
        help: "Also use nmap's match rules from this nmap-service-probes file ('auto': /usr/share/nmap/).")
    var nmapProbes: String?

    @Flag(help: "Capture each port's handshake packets with libpcap (needs root or CAP_NET_RAW).")
    var capture = false

    @Option(
        name: .customLong("pcap-out"), help: "Also write the captured packets to this pcap file (implies --capture).")
    var pcapOut: String?

    @Option(
        name: .customLong("capture-buffer"), parsing: .unconditional,
        help: "Kernel capture buffer in MiB (default: 32).")
    var captureBuffer: Int?

    @Option(help: "Output format: table, json, jsonl, or sarif (audits only).")
    var format: OutputFormat = .table

    @Option(name: .customShort("o"), help: "Write the output to this file instead of standard output.")
    var output: String?

    func validate() throws {
        guard retries >= 0, retries <= 20 else { throw ValidationError("--retries must be 0-20") }
        if let concurrency, concurrency < 1 || concurrency > 65536 {
            throw ValidationError("--concurrency must be 1-65536")
        }
        if let rate, !(Self.rateRange ~= rate) {
            throw ValidationError("--rate must be 0.001-10000000 (connects per second)")
        }
        if let threads, threads < 1 || threads > 64 { throw ValidationError("--threads must be 1-64") }
        if let captureBuffer, !(1...1024).contains(captureBuffer) {
            throw ValidationError("--capture-buffer must be 1-1024 (MiB)")
        }
        if let bannerBytes, bannerBytes < 16 || bannerBytes > 1 << 20 {
            throw ValidationError("--banner-bytes must be 16-1048576")
        }
        // An option that only works with another is an error without it, not silently ignored.
        if timeout != nil, let adaptive = givenAdaptiveTimeoutOption {
            throw ValidationError("\(adaptive) has no effect with --timeout (a fixed timeout): give one or the other")
        }
        if captureBuffer != nil && !capture && pcapOut == nil {
            throw ValidationError("--capture-buffer needs --capture or --pcap-out")
        }
        for name in show.map({ $0.split(separator: ",", omittingEmptySubsequences: false) }) ?? [] {
            guard let state = PortState(rawValue: String(name)), state != .open else {
                throw ValidationError("--show takes closed, filtered, error (comma-separated), not '\(name)'")
            }
        }
    }
}

extension ScanArguments {
    /// True when open ports will be probed for banners (`--banner`, `--http`).
    var probes: Bool { banner || http }

    /// The first probe option given, by its flag (they need probing: `--banner`, `--http` or an audit).
    var givenProbeOption: String? {
        if !rulesFiles.isEmpty { return "--rules" }
        if nmapProbes != nil { return "--nmap-probes" }
        if bannerTimeout != nil { return "--banner-timeout" }
        if bannerBytes != nil { return "--banner-bytes" }
        return nil
    }

    /// The first adaptive-timeout option given, by its flag.
    var givenAdaptiveTimeoutOption: String? {
        if minTimeout != nil { return "--min-timeout" }
        if maxTimeout != nil { return "--max-timeout" }
        if initialTimeout != nil { return "--initial-timeout" }
        return nil
    }
}

/// Output formats of `recon scan` and `recon audit`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, jsonl, sarif
}
