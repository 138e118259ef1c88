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

/// Where a run is saved and what its audit compares with: `--save`, `--db`, `--baseline`.
public struct StoreChoice: Sendable {
    public var save = false
    public var database: String?
    public var baseline: String?

    public init(save: Bool = false, database: String? = nil, baseline: String? = nil) {
        (self.save, self.database, self.baseline) = (save, database, baseline)
    }
}

/// One `recon scan` or `recon audit` run: the settings checked into a request, the store opened,
/// the library's pipeline run on the console into the chosen outputs (and the store), and its
/// result turned into an exit status.
public struct ScanRunner {
    let settings: ScanSettings
    let console: ConsoleRun
    let prober: ServiceProber?
    let store: StoreChoice

    /// Checks `settings` into a request (scope, targets, ports, outputs, rules) before anything
    /// is sent; `version` names recon in the report and the HTTP probe's User-Agent.
    public init(_ settings: ScanSettings, audit: AuditPlan?, store: StoreChoice, version: String) throws(ReconFailure) {
        let startedAt = Timestamp.now()
        (self.settings, self.store) = (settings, store)
        do throws(SetupError) {
            let request = try settings.request(
                audit: audit, version: version,
                commandLine: StoreLocation.redactingPasswords(Array(CommandLine.arguments.dropFirst())),
                startedAt: startedAt)
            console = try settings.consoleRun(request)
            prober = try ServiceProber.make(
                settings, audit: audit, policies: PolicyFolder.fromEnvironment, userAgent: "recon/\(version)")
        } catch {
            throw ReconFailure(error)
        }
    }

    /// Opens the store and starts the capture (if asked) before any output is opened (a refused
    /// run leaves an existing report as it was), runs the scan, and says how it ended.
    public func run() async -> ExitStatus {
        signal(SIGPIPE, SIG_IGN)
        recon_install_stop_handlers()
        let session: ScanStoreSession
        do {
            session = try await ScanStoreSession.prepare(
                save: store.save, database: store.database, baseline: store.baseline,
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
