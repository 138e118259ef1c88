import ArgumentParser
import ReconCore

/// `recon audit TARGET... PORTS`: a scan with banners and probes, then the banner-suppression
/// audit; exits 6 when a finding reaches `--fail-on`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Scan, read banners, and report which services disclose versions (exit 6 on findings).",
        discussion: """
            Rules: policies/audit.rules (and --audit-rules files). Each finding names the rule,
            the evidence bytes and where they were seen, the setting that hides them, and a
            fingerprint to waive it by. Findings no setting can hide are marked and never fail.

            Examples:
              recon audit 127.0.0.1 1-65535
              recon audit 127.0.0.1 1-1024 --format sarif -o recon.sarif --waivers waivers.policy
              recon audit localhost 22,80,443 --fail-on none --format json
            """
    )

    @OptionGroup var scan: ScanArguments

    @OptionGroup var auditOptions: AuditArguments

    mutating func run() async throws {
        try await ScanInvocation.execute(scan, audit: try auditOptions.setup())
    }
}

/// Options of the audit, for `recon audit` and `recon scan --audit`.
struct AuditArguments: ParsableArguments {
    @Option(
        name: .customLong("fail-on"),
        help:
            "Exit 6 when a finding at or above this severity is neither waived nor impossible to hide: info, low (default), medium, high, or none."
    )
    var failOn: String?

    @Option(name: .customLong("waivers"), help: "Waiver file (repeatable): accepted findings, see policies/.")
    var waiverFiles: [String] = []

    @Option(
        name: .customLong("audit-rules"), help: "Extra audit rules file (repeatable), after policies/audit.rules.")
    var rulesFiles: [String] = []

    /// True when any audit option was given (they need an audit).
    var anyGiven: Bool { failOn != nil || !waiverFiles.isEmpty || !rulesFiles.isEmpty }

    func validate() throws {
        if let failOn, AuditThreshold(failOn) == nil {
            throw ValidationError("--fail-on takes info, low, medium, high or none, not '\(failOn)'")
        }
    }

    /// The rules, waivers and threshold, read and checked before any scan.
    func setup() throws(ReconFailure) -> AuditSetup {
        let rules = try PolicyLocator.auditRules(extra: rulesFiles)
        do {
            var waivers = Waivers()
            for file in waiverFiles { waivers = waivers.merging(try Waivers(contentsOf: file)) }
            return AuditSetup(rules: rules, waivers: waivers, threshold: AuditThreshold(failOn ?? "low") ?? .never)
        } catch {
            // Both file errors describe themselves as FILE:LINE: reason.
            throw ReconFailure(message: "\(error)", code: .usage)
        }
    }
}

/// What an audit run needs: rules, waivers and the failure threshold.
struct AuditSetup {
    let rules: AuditRules
    let waivers: Waivers
    let threshold: AuditThreshold
}
