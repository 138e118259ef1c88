import ArgumentParser
import ReconCore

/// The options of a scan, shared by `recon scan` and `recon audit`. Options whose values may
/// start with '-' (`-p -100`, `--timeout -1s`) parse them as values (`.unconditional`), so a bad
/// value is reported as such, not as a missing one.
struct ScanArguments: ParsableArguments {
    @Argument(help: "Targets (IP, CIDR, host name), then the port list unless -p is given.")
    var arguments: [String] = []
    @Option(
        name: .customShort("p", allowingJoined: true), parsing: .unconditional,
        help: "Ports: 1-1024, 22,80,8000-8100, '-' for all (-p22, -p- work too).")
    var ports: String?
    @Option(
        name: .customLong("iL", withSingleDash: true), help: "Read targets from a file ('-': standard input).",
        completion: .file())
    var inputList: String?
    @Option(name: .customLong("top-ports"), help: "Scan the N most common ports (policies/top-ports.list).")
    var topPorts: Int?
    @Option(help: "Skip these addresses, blocks or names (comma-separated) inside the targets.") var exclude: String?
    @Option(name: .customLong("exclude-file"), help: "Skip the addresses listed in this file.", completion: .file())
    var excludeFile: String?
    @Option(name: .customLong("exclude-ports"), parsing: .unconditional, help: "Ports to leave out.")
    var excludePorts: String?
    @Option(
        name: .customLong("policy"), help: "Scope policy file adding own hosts (repeatable).",
        completion: .file(extensions: ["policy"]))
    var policyFiles: [String] = []

    @Option(parsing: .unconditional, help: "Fixed connect timeout (500ms, 2s) instead of the adaptive one.")
    var timeout: String?
    @Option(name: .customLong("min-timeout"), parsing: .unconditional, help: "Adaptive timeout floor (100ms).")
    var minTimeout: String?
    @Option(name: .customLong("max-timeout"), parsing: .unconditional, help: "Adaptive timeout ceiling (10s).")
    var maxTimeout: String?
    @Option(name: .customLong("initial-timeout"), parsing: .unconditional, help: "Timeout before any answer (1s).")
    var initialTimeout: String?
    @Option(parsing: .unconditional, help: "Extra connects for a port that does not answer (0-20).")
    var retries: Int = 2
    @Option(parsing: .unconditional, help: "Connects in flight (default: from the open-file limit, at most 4096).")
    var concurrency: Int?
    @Option(parsing: .unconditional, help: "At most this many connects per second, retries included (0.001-1e7).")
    var rate: Double?
    @Option(parsing: .unconditional, help: "Event-loop threads at most (default: one per core).") var threads: Int?

    @Flag(help: "Only list open ports; counts still cover all ports.") var open = false
    @Option(
        help: "Also list these states one by one: closed, filtered, error (comma-separated).",
        completion: .list(["closed", "filtered", "error"])) var show: String?

    @Flag(help: "Read each open port's banner; probe silent ports and identify the service.") var banner = false
    @Flag(help: "Send the HTTP probe to every open port, also to ones that sent a banner (implies --banner).")
    var http = false
    @Option(name: .customLong("banner-timeout"), parsing: .unconditional, help: "Whole-port probe deadline (1.5s).")
    var bannerTimeout: String?
    @Option(name: .customLong("banner-bytes"), parsing: .unconditional, help: "Bytes kept per reply (4096).")
    var bannerBytes: Int?
    @Option(
        name: .customLong("rules"), help: "Extra service rules file (repeatable).",
        completion: .file(extensions: ["rules"])) var rulesFiles: [String] = []
    @Option(
        name: .customLong("nmap-probes"), help: "Also use nmap's nmap-service-probes file ('auto': installed).",
        completion: .file())
    var nmapProbes: String?

    @Flag(help: "Capture each port's handshake packets with libpcap (needs root or CAP_NET_RAW).") var capture = false
    @Option(
        name: .customLong("pcap-out"), help: "Also write the captured packets to this pcap file.",
        completion: .file(extensions: ["pcap"]))
    var pcapOut: String?
    @Option(name: .customLong("capture-buffer"), parsing: .unconditional, help: "Kernel capture buffer, MiB (8).")
    var captureBuffer: Int?

    @Flag(name: .shortAndLong, help: "No progress and no notices on standard error.") var quiet = false
    @Flag(name: .shortAndLong, help: "Per-host timing at the end; the table at full width.") var verbose = false
    @Option(
        name: .customLong("stats-every"), help: "A progress line on standard error this often (10s), even if piped.")
    var statsEvery: String?
    @Flag(name: .customLong("no-color"), help: "No colour on the terminal (so does NO_COLOR).") var noColor = false
    @Option(help: "Output format: table, json, jsonl, xml (nmap's), list (host:port), sarif (audits only).")
    var format: ReportFormat?
    @Option(
        name: .customShort("o"), help: "Write the output to this file (format from its extension).", completion: .file()
    )
    var output: String?
    @Option(name: .customLong("output"), help: "Also write FORMAT:FILE ('-' standard output); repeatable.")
    var outputs: [String] = []
    @Option(
        name: .customLong("oX", withSingleDash: true), help: "Also write nmap XML to this file.",
        completion: .file(extensions: ["xml"]))
    var xmlFiles: [String] = []
    @Option(
        name: .customLong("oN", withSingleDash: true), help: "Also write the table to this file.", completion: .file())
    var tableFiles: [String] = []
    @Option(name: .customLong("oA", withSingleDash: true), help: "Also write BASENAME.txt, .json and .xml.")
    var allBasenames: [String] = []

    /// Checks the values (ranges, options that need another) as the library does.
    func validate(audit: Bool) throws {
        do {
            try settings(audit: audit).validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The plain values of these options; `audit` for `recon audit` and `scan --audit`.
    func settings(audit: Bool) -> ScanSettings {
        var settings = ScanSettings()
        (settings.arguments, settings.ports, settings.inputList) = (arguments, ports, inputList)
        (settings.topPorts, settings.exclude, settings.excludeFile) = (topPorts, exclude, excludeFile)
        (settings.excludePorts, settings.policyFiles, settings.timeout) = (excludePorts, policyFiles, timeout)
        (settings.minTimeout, settings.maxTimeout, settings.initialTimeout) = (minTimeout, maxTimeout, initialTimeout)
        (settings.retries, settings.concurrency, settings.rate, settings.threads) = (
            retries, concurrency, rate, threads
        )
        (settings.openOnly, settings.show, settings.banner, settings.http) = (open, show, banner, http)
        (settings.bannerTimeout, settings.bannerBytes, settings.rulesFiles) = (bannerTimeout, bannerBytes, rulesFiles)
        (settings.nmapProbes, settings.capture, settings.pcapOut) = (nmapProbes, capture, pcapOut)
        (settings.captureBuffer, settings.audit) = (captureBuffer, audit)
        (settings.outputs.format, settings.outputs.file, settings.outputs.outputs) = (format, output, outputs)
        (settings.outputs.xmlFiles, settings.outputs.tableFiles) = (xmlFiles, tableFiles)
        (settings.outputs.allBasenames, settings.quiet, settings.verbose) = (allBasenames, quiet, verbose)
        (settings.noColour, settings.statsEvery) = (noColor, statsEvery)
        return settings
    }
}

extension ReportFormat: ExpressibleByArgument {}
