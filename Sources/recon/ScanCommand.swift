import ArgumentParser
import CReconShim
import ReconCore

#if canImport(Glibc)
    import Glibc
#endif

/// `recon scan TARGET... PORTS`: turns arguments into a checked request, runs it, writes the report.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Connect-scan TCP ports on targets inside the scope policy.",
        discussion: """
            Examples:
              recon scan 127.0.0.1 1-1024
              recon scan localhost ::1 22,80,8000-8100 --format json -o scan.json
              recon scan -iL hosts.txt -p - --open --policy policies/own-hosts.policy
            """
    )

    @OptionGroup var scan: ScanArguments

    @Flag(help: "Also audit what open ports disclose (implies --banner); see 'recon audit --help'.")
    var audit = false

    @OptionGroup var auditOptions: AuditArguments

    func validate() throws {
        if scan.format == .sarif && !audit {
            throw ValidationError("--format sarif needs --audit (or use 'recon audit')")
        }
        if auditOptions.anyGiven && !audit {
            throw ValidationError("--fail-on, --waivers and --audit-rules need --audit (or use 'recon audit')")
        }
        if let option = scan.givenProbeOption, !scan.probes && !audit {
            throw ValidationError("\(option) needs --banner (or --http, --audit): without them nothing is probed")
        }
    }

    mutating func run() async throws {
        try await ScanInvocation.execute(scan, audit: audit ? try auditOptions.setup() : nil)
    }
}
