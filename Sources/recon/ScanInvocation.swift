import CReconShim
import ReconCore
import ReconProbes
import ReconStore

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
    let store: StoreArguments
    let baseline: String?

    init(_ arguments: ScanArguments, audit: AuditPlan?, store: StoreArguments, baseline: String?) throws(ReconFailure) {
        let startedAt = Timestamp.now()
        settings = arguments.settings(audit: audit != nil)
        (self.store, self.baseline) = (store, baseline)
        do throws(SetupError) {
            let request = try settings.request(
                audit: audit, version: Recon.version,
                commandLine: StoreLocation.redactingPasswords(Array(CommandLine.arguments.dropFirst())),
                startedAt: startedAt)
            console = try settings.consoleRun(request)
            prober = try ServiceProber.make(
                settings, audit: audit, policies: PolicyFolder.fromEnvironment, userAgent: "recon/\(Recon.version)")
        } catch {
            throw ReconFailure(error)
        }
    }

    /// Opens the store and starts the capture (if asked) before any output is opened (a refused
    /// run leaves an existing report as it was), runs the scan, and says how it ended.
    func run() async -> ExitStatus {
        signal(SIGPIPE, SIG_IGN)
        recon_install_stop_handlers()
        let session: ScanStoreSession
        do {
            session = try await ScanStoreSession.prepare(
                save: store.save, database: store.db, baseline: baseline,
                command: console.request.audit == nil ? "scan" : "audit", environment: StoreLocation.processEnvironment)
        } catch {
            ReconFailure(error).report()
            return ReconFailure(error).code
        }
        let status = await scan(session)
        await session.close()
        return status
    }

    private func scan(_ session: ScanStoreSession) async -> ExitStatus {
        do throws(ReconFailure) {
            var console = self.console
            console.request.audit?.baseline = session.baseline
            let capture = try settings.captures ? startCapture() : nil
            let pipeline = ScanPipeline(
                engine: ConnectEngine(options: console.request.options), prober: prober,
                stopSignal: { recon_stop_signal() })
            let result: ScanResult
            do {
                // The store last: the report is out before the database is written.
                result = try await console.run(pipeline, capture: capture, extraSinks: session.sink.map { [$0] } ?? [])
            } catch {
                _ = capture?.stop()
                throw ReconFailure(error)
            }
            if let failure = result.failure { throw ReconFailure(message: failure.description, code: .failure) }
            if let error = result.writeError { throw ReconFailure(message: error, code: .failure) }
            if let failure = session.sink?.failure { throw ReconFailure(failure) }
            if let run = session.sink?.run, let store = session.store {
                console.notice("saved as run \(run) in \(store.location)")
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
