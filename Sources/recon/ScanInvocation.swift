import CReconShim
import ReconCore
import ReconProbes

#if canImport(Glibc)
    import Glibc
#endif
#if Capture
    import ReconCapture
#endif

/// One `recon scan` or `recon audit` run: the settings checked into a request, the library's
/// pipeline run on the console into the chosen outputs, and its result turned into an exit status.
struct ScanInvocation {
    let settings: ScanSettings
    let console: ConsoleRun
    let prober: ServiceProber?

    init(_ arguments: ScanArguments, audit: AuditPlan?) throws(ReconFailure) {
        let startedAt = Timestamp.now()
        settings = arguments.settings(audit: audit != nil)
        do throws(SetupError) {
            let request = try settings.request(
                audit: audit, version: Recon.version, commandLine: Array(CommandLine.arguments.dropFirst()),
                startedAt: startedAt)
            console = try settings.consoleRun(request)
            prober = try ServiceProber.make(
                settings, audit: audit, policies: PolicyFolder.fromEnvironment, userAgent: "recon/\(Recon.version)")
        } catch {
            throw ReconFailure(error)
        }
    }

    /// Starts the capture (if asked) before any output is opened, runs the scan, and says how it ended.
    func run() async -> ExitStatus {
        signal(SIGPIPE, SIG_IGN)
        recon_install_stop_handlers()
        do throws(ReconFailure) {
            let capture = try settings.captures ? startCapture() : nil
            let pipeline = ScanPipeline(
                engine: ConnectEngine(options: console.request.options), prober: prober,
                stopSignal: { recon_stop_signal() })
            let result: ScanResult
            do {
                result = try await console.run(pipeline, capture: capture)
            } catch {
                _ = capture?.stop()
                throw ReconFailure(error)
            }
            if let failure = result.failure { throw ReconFailure(message: failure.description, code: .failure) }
            if let error = result.writeError { throw ReconFailure(message: error, code: .failure) }
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
                    addresses: console.request.plan.targets.map(\.address), bufferMiB: settings.captureBuffer ?? 8,
                    pcapOut: settings.pcapOut)
            } catch {
                throw ReconFailure(message: error.description, code: .captureUnavailable)
            }
        #else
            throw ReconFailure(message: "built without capture: rebuild with libpcap-dev", code: .captureUnavailable)
        #endif
    }
}
