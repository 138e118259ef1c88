import ReconCore
import ReconStore

/// recon's exit codes. Documented in the README (each case's meaning in its table); stable once published.
public enum ExitStatus: Int32 {
    case success = 0  // the run ended and its report was written
    case failure = 1  // recon failed: output, local resources (ports untested/unprobed), a limit too low
    case usage = 2  // bad input: arguments, ports, targets, a file, an output that cannot be created
    case outOfScope = 3  // a target is outside the scope policy; nothing was sent
    case unresolved = 4  // a host name did not resolve
    case captureUnavailable = 5  // --capture could not start
    case findings = 6  // the audit found disclosures at or above --fail-on (not waived, known or unhideable)
    case changes = 7  // recon diff found changes
    case storeUnavailable = 8  // the store could not be opened, reached, migrated or written
    case internalFailure = 70  // a fatal signal, reported in one line (see the shim)
    case interrupted = 130  // SIGINT; the partial report was written
    case terminated = 143  // SIGTERM; the partial report was written
}

/// A failure with its one-line message and exit code; thrown by subcommands, printed by `main`.
public struct ReconFailure: Error {
    public let message: String
    public let code: ExitStatus

    public init(message: String, code: ExitStatus) {
        self.message = message
        self.code = code
    }

    /// Writes the message on standard error.
    public func report() {
        // Messages quote input and replies: one line, escaped, at most 200 characters.
        FileOutput.standardError.write("recon: \(TerminalText.oneLine(message))\n")
    }
}

extension ReconFailure {
    /// The failure of a scan that could not be set up, with the exit code of its kind.
    public init(_ error: SetupError) {
        let codes: [SetupError.Kind: ExitStatus] = [
            .unresolved: .unresolved, .outOfScope: .outOfScope, .resources: .failure,
        ]
        self.init(message: error.description, code: codes[error.kind] ?? .usage)
    }

    /// The failure of a store operation: bad input (2) or a store out of reach (8).
    public init(_ error: StoreError) {
        self.init(message: error.description, code: error.kind == .usage ? .usage : .storeUnavailable)
    }
}
