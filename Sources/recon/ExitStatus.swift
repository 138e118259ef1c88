import ReconCore

/// recon's exit codes. Documented in the README; stable once published.
enum ExitStatus: Int32 {
    /// The scan ran to the end and the report was written.
    case success = 0
    /// recon itself failed: the report could not be written, open ports could not be probed
    /// for a local reason (EMFILE...; the report marks them), or the open-file limit (`ulimit -n`)
    /// or address-space limit (`ulimit -v`) is too low for the run (refused before scanning).
    case failure = 1
    /// Bad input: arguments, port list, target syntax, target list, policy file, or an output
    /// file that cannot be created (checked before the scan).
    case usage = 2
    /// A target is outside the scope policy; nothing was sent.
    case outOfScope = 3
    /// A host name did not resolve.
    case unresolved = 4
    /// `--capture` could not start (no permission, no interface, or built without capture);
    /// nothing was sent.
    case captureUnavailable = 5
    /// The audit ran and found disclosures at or above `--fail-on` that are neither waived nor
    /// impossible to hide; the report was written.
    case findings = 6
    /// recon failed internally: out of memory or threads, or a bug (a fatal signal, reported in
    /// one line by the handler `recon_install_fatal_handlers` installs; output so far is kept).
    case internalFailure = 70
    /// Stopped by SIGINT (130) or SIGTERM (143); the partial report was written.
    case interrupted = 130
    case terminated = 143
}

/// A failure with its one-line message and exit code; thrown by subcommands, printed by `main`.
struct ReconFailure: Error {
    let message: String
    let code: ExitStatus

    func report() {
        // Messages quote input and replies: one line, escaped, at most 200 characters.
        FileOutput.standardError.write("recon: \(TerminalText.oneLine(message))\n")
    }
}
