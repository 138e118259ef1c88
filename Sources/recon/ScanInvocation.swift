import CReconShim
import ReconCore
import ReconProbes

#if Capture
    import ReconCapture
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// One `recon scan` or `recon audit` run: the settings checked into a request, the library's
/// pipeline run into the chosen output, and its result turned into an exit status.
struct ScanInvocation {
    let settings: ScanSettings
    let format: ReportFormat
    let request: ScanRequest
    let prober: ServiceProber?

    init(_ arguments: ScanArguments, audit: AuditPlan?) throws(ReconFailure) {
        let startedAt = Timestamp.now()
        settings = arguments.settings(audit: audit != nil)
        format = arguments.format
        do throws(SetupError) {
            request = try settings.request(
                audit: audit, version: Recon.version, commandLine: Array(CommandLine.arguments.dropFirst()),
                startedAt: startedAt)
            prober = try ServiceProber.make(
                settings, audit: audit, policies: Recon.policiesFolder, userAgent: "recon/\(Recon.version)")
        } catch {
            throw ReconFailure(error)
        }
        for note in request.notes { FileOutput.standardError.write("recon: \(note)\n") }
    }

    /// Starts the capture (if asked), opens the output only then (a refused run leaves an
    /// existing report as it was), runs the pipeline, and says how the run ended.
    func run() async -> ExitStatus {
        signal(SIGPIPE, SIG_IGN)
        recon_install_stop_handlers()
        do throws(ReconFailure) {
            let capture = try settings.captures ? startCapture() : nil
            let output: FileOutput
            do {
                output = try settings.output.map(FileOutput.create(path:)) ?? .standardOutput
            } catch {
                _ = capture?.stop()
                throw ReconFailure(message: error.description, code: .usage)
            }
            let pipeline = ScanPipeline(
                engine: ConnectEngine(options: request.options), prober: prober, stopSignal: { recon_stop_signal() },
                notice: { FileOutput.standardError.write("recon: \(TerminalText.oneLine($0))\n") })
            let sink = format.sink(to: output, request: request, shown: settings.shownStates)
            let result = await pipeline.run(request, capture: capture, sinks: [sink])
            if let failure = result.failure { throw ReconFailure(message: failure.description, code: .failure) }
            if output.failure != 0 && output.failure != EPIPE {
                throw ReconFailure(
                    message: "writing output failed: \(String(cString: strerror(output.failure)))", code: .failure)
            }
            switch result.stopSignal {
            case 0: break
            case SIGTERM: return .terminated
            default: return .interrupted
            }
            if let problem = result.localProblem { throw ReconFailure(message: problem, code: .failure) }
            return result.auditFailed ? .findings : .success
        } catch {
            error.report()
            return error.code
        }
    }

    /// The packet capture `--capture` / `--pcap-out` ask for, started.
    private func startCapture() throws(ReconFailure) -> any HandshakeCapture {
        #if Capture
            do {
                return try CaptureSession(
                    addresses: request.plan.targets.map(\.address), bufferMiB: settings.captureBuffer ?? 32,
                    pcapOut: settings.pcapOut)
            } catch {
                throw ReconFailure(message: error.description, code: .captureUnavailable)
            }
        #else
            throw ReconFailure(
                message: "this recon was built without capture support: rebuild with the default traits "
                    + "(libpcap-dev installed)", code: .captureUnavailable)
        #endif
    }
}
