import ArgumentParser
import ReconCore
import ReconRunner

/// A command that scans: its address-space need is checked before anything else runs.
protocol ScanningCommand {
    var addressSpaceProblem: String? { get }
}

/// `recon scan TARGET... PORTS`: connect-scan, optionally probe and audit, write the report.
struct ScanCommand: AsyncParsableCommand, ScanningCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan", abstract: "Connect-scan TCP ports on targets inside the scope policy.",
        discussion: """
            Examples:
              recon scan 127.0.0.1 1-1024
              recon scan localhost ::1 22,80,8000-8100 --format json -o scan.json
              recon scan -iL hosts.txt -p - --open --policy policies/own-hosts.policy
            """)

    @OptionGroup var scan: ScanArguments
    @Flag(help: "Also audit what open ports disclose (implies --banner); see 'recon audit --help'.")
    var audit = false
    @OptionGroup var auditOptions: AuditArguments
    @OptionGroup var store: StoreArguments
    var addressSpaceProblem: String? { ResourceLimits.addressSpaceProblem(probing: scan.banner || scan.http || audit) }

    func validate() throws {
        if auditOptions.anyGiven && !audit {
            throw ValidationError("--fail-on, --waivers, --audit-rules and --baseline need --audit (or 'recon audit')")
        }
        try store.validate(baseline: auditOptions.baseline)
        try scan.validate(audit: audit)
    }

    mutating func run() async throws {
        try await Recon.execute(
            scan, audit: audit ? try auditOptions.plan() : nil, store: store, baseline: auditOptions.baseline)
    }
}

/// `recon audit TARGET... PORTS`: a scan with banners and probes, then the banner-suppression
/// audit; exits 6 when a finding reaches `--fail-on`.
struct AuditCommand: AsyncParsableCommand, ScanningCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Scan, read banners, and report which services disclose versions (exit 6 on findings).",
        discussion: """
            Each finding names the rule, the evidence, the setting that hides it, and a fingerprint.
            Examples:
              recon audit 127.0.0.1 1-65535
              recon audit 127.0.0.1 1-1024 --format sarif -o recon.sarif --waivers waivers.policy
              recon audit localhost 22,80,443 --fail-on none --format json
              recon audit 127.0.0.1 1-1024 --save --baseline 12    # fail only on findings new since run 12
            """)

    @OptionGroup var scan: ScanArguments
    @OptionGroup var auditOptions: AuditArguments
    @OptionGroup var store: StoreArguments

    var addressSpaceProblem: String? { ResourceLimits.addressSpaceProblem(probing: true) }

    func validate() throws {
        try store.validate(baseline: auditOptions.baseline)
        try scan.validate(audit: true)
    }

    mutating func run() async throws {
        try await Recon.execute(scan, audit: try auditOptions.plan(), store: store, baseline: auditOptions.baseline)
    }
}

/// Options of the audit, for `recon audit` and `recon scan --audit`.
struct AuditArguments: ParsableArguments {
    @Option(
        name: .customLong("fail-on"),
        help: "Exit 6 on a finding at or above: info, low (default), medium, high, or none.",
        completion: .list(["info", "low", "medium", "high", "none"]))
    var failOn: String?
    @Option(name: .customLong("waivers"), help: "Waiver file of accepted findings (repeatable).", completion: .file())
    var waiverFiles: [String] = []
    @Option(
        name: .customLong("audit-rules"), help: "Extra audit rules file (repeatable).",
        completion: .file(extensions: ["rules"]))
    var rulesFiles: [String] = []
    @Option(help: "Known findings: a stored run's id or a JSON report; only new findings fail the run.")
    var baseline: String?

    /// True when any audit option was given (they need an audit).
    var anyGiven: Bool { failOn != nil || !waiverFiles.isEmpty || !rulesFiles.isEmpty || baseline != nil }

    func validate() throws {
        if let failOn, AuditThreshold(failOn) == nil {
            throw ValidationError("--fail-on takes info, low, medium, high or none, not '\(failOn)'")
        }
    }

    /// The rules, waivers and threshold, read and checked before any scan.
    func plan() throws(ReconFailure) -> AuditPlan {
        do {
            return try AuditPlan.load(
                rulesFiles: rulesFiles, waiverFiles: waiverFiles, failOn: failOn,
                replacing: PolicyFolder.fromEnvironment)
        } catch {
            throw ReconFailure(message: "\(error)", code: .usage)  // FILE:LINE: reason
        }
    }
}
