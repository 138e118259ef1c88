import ArgumentParser
import ReconCore

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
        subcommands: [ScanCommand.self, AuditCommand.self]
    )

    static func main() async {
        do {
            var command = try parseAsRoot()
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
                FileOutput.standardError.write("recon: \(message) (see 'recon --help')\n")
                Glibc.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
