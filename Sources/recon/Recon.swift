import ArgumentParser
import CReconShim
import ReconCore
import ReconRunner

#if canImport(Glibc)
    import Glibc
#endif

/// The `recon` command: lists the subcommands and maps failures to documented exit codes.
@main
struct Recon: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "recon",
        abstract: "TCP service recon for hosts you own: scope-checked, fast, exact.",
        version: version,
        subcommands: [ScanCommand.self, AuditCommand.self, HistoryCommand.self, DiffCommand.self],
        defaultSubcommand: ScanCommand.self
    )

    /// Checks the arguments, runs the scan (and the audit), and ends with the run's exit status.
    static func execute(_ arguments: ScanArguments, audit: AuditPlan?, store: StoreArguments, baseline: String?)
        async throws
    {
        let choice = StoreChoice(save: store.save, database: store.db, baseline: baseline)
        let runner = try ScanRunner(
            arguments.settings(audit: audit != nil), audit: audit, store: choice, version: version)
        let status = await runner.run()
        if status != .success { throw ExitCode(status.rawValue) }
    }

    static func main() async {
        // A fatal signal (out of memory, no thread) ends with one line, not a crash report,
        // unless the user asked the runtime for its backtrace.
        if getenv("SWIFT_BACKTRACE") == nil { recon_install_fatal_handlers() }
        do {
            var command = try parseAsRoot()
            // Still on the main thread: checks that must come before any other thread exists.
            if let scan = command as? any ScanningCommand, let problem = scan.addressSpaceProblem {
                throw ReconFailure(message: problem, code: .failure)
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as ReconFailure {
            failure.report()
            Glibc.exit(failure.code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // Usage errors exit with 2 like other Unix tools, not ArgumentParser's 64.
                // One line naming the problem; the usage text is one --help away.
                let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
                FileOutput.standardError.write("recon: \(TerminalText.oneLine(message)) (see 'recon --help')\n")
                Glibc.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
