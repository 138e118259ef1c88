import ReconCore
import ReconStore

/// recon's exit codes. Documented in the README; stable once published.
enum ExitStatus: Int32 {
    /// The scan ran to the end and the report was written.
    case success = 0
    /// recon itself failed: the report could not be written, ports could not be tested or probed
    /// for a local reason (the report marks them), or a limit (`ulimit -n`, `-v`) is too low.
    case failure = 1
    /// Bad input: arguments, ports, targets, a file, an output that cannot be created.
    case usage = 2
    /// A target is outside the scope policy; nothing was sent.
    case outOfScope = 3
    /// A host name did not resolve.
    case unresolved = 4
    /// `--capture` could not start (no permission, no interface, or built without capture).
    case captureUnavailable = 5
    /// The audit found disclosures at or above `--fail-on`, neither waived, known from the
    /// baseline, nor impossible to hide.
    case findings = 6
    /// `recon diff` found changes.
    case changes = 7
    /// The store (`--save`, `--baseline RUN`, `history`, `diff` over runs) could not be opened,
    /// reached, migrated or written.
    case storeUnavailable = 8
    /// A fatal signal (out of memory or threads, or a bug), reported in one line (see the shim).
    case internalFailure = 70
    /// Stopped by SIGINT (130) or SIGTERM (143); the partial report was written.
    case interrupted = 130
    case terminated = 143
}

/// A failure with its one-line message and exit code; thrown by subcommands, printed by `main`.
struct ReconFailure: Error {
    let message: String
    let code: ExitStatus

    init(message: String, code: ExitStatus) {
        self.message = message
        self.code = code
    }

    /// The failure of a scan that could not be set up, with the exit code of its kind.
    init(_ error: SetupError) {
        let codes: [SetupError.Kind: ExitStatus] = [
            .usage: .usage, .unresolved: .unresolved, .outOfScope: .outOfScope, .resources: .failure,
        ]
        self.init(message: error.description, code: codes[error.kind] ?? .failure)
    }

    /// The failure of a store operation: bad input (2) or a store out of reach (8).
    init(_ error: StoreError) {
        self.init(message: error.description, code: error.kind == .usage ? .usage : .storeUnavailable)
    }

    func report() {
        // Messages quote input and replies: one line, escaped, at most 200 characters.
        FileOutput.standardError.write("recon: \(TerminalText.oneLine(message))\n")
    }
}
