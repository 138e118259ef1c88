import ReconCore
import ReconNmapXML
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Saves a scan into the store (`--save`): the run is recorded as it starts (incomplete), and its
/// results in one transaction when it ends, interrupted or not. Put it after the output sinks:
/// the report is written out before the database is. A failure is kept, not thrown: the scan
/// and its other outputs go on, and the caller reports it.
public final class StoreSink: ReportSink {
    private let store: ScanStore
    private let command: String
    private let scanner: String
    private let state = Mutex<(run: Int64?, failure: StoreError?)>((nil, nil))

    /// `command` is `scan` or `audit`; `scanner` names this machine (its host name by default).
    public init(store: ScanStore, command: String, scanner: String = StoreSink.hostName()) {
        self.store = store
        self.command = command
        self.scanner = scanner
    }

    /// The run's id, once recorded.
    public var run: Int64? { state.withLock { $0.run } }
    /// Why the run could not be saved, if it could not.
    public var failure: StoreError? { state.withLock { $0.failure } }

    public func begin(run: RunInfo, targets: [AuthorizedTarget]) async {
        do {
            let id = try await store.beginRun(run, targets: targets, command: command, scanner: scanner)
            state.withLock { $0.run = id }
        } catch {
            state.withLock { $0.failure = error }
        }
    }

    public func port(_ host: Int, _ entry: PortEntry) {}

    public func end(_ report: ScanReport) async {
        guard let id = run else { return }
        do {
            try await store.finishRun(id, report: report)
        } catch {
            state.withLock { $0.failure = error }
        }
    }

    /// This machine's host name (`gethostname`).
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// What a scan or audit needs from the store, set up before anything is sent: the store opened
/// (or the run refused) when saving or when the baseline is a stored run, the baseline read.
public struct ScanStoreSession: Sendable {
    public let store: ScanStore?
    public let baseline: AuditBaseline?
    public let sink: StoreSink?

    /// Opens the store at `database` (nil: the default) when `save` is set or `baseline` names a
    /// run (digits; anything else is a report file), and reads the baseline.
    public static func prepare(
        save: Bool, database: String?, baseline: String?, command: String, environment: [String: String]
    ) async throws(StoreError) -> ScanStoreSession {
        let needsStore = save || baseline.map(StoredOrFile.isRunID) == true
        var store: ScanStore?
        if needsStore { store = try await ScanStore.open(StoreLocation(database, environment: environment)) }
        do throws(StoreError) {
            var known: AuditBaseline?
            if let baseline {
                switch try StoredOrFile(baseline) {
                case .run(let id):
                    guard let store else { throw StoreError(.usage, "run \(id) needs a store") }
                    let (report, _) = try await store.report(run: id)
                    guard let findings = report.findings else {
                        throw StoreError(.usage, "run \(id) was no audit: it has no findings to compare with")
                    }
                    known = AuditBaseline(source: "run \(id)", findings: findings)
                case .file(let path):
                    do {
                        known = try AuditBaseline(reportFile: path, decoders: ReportFormats.all)
                    } catch {
                        throw StoreError(.usage, "baseline \(error.description)")
                    }
                }
            }
            let sink = save ? store.map { StoreSink(store: $0, command: command) } : nil
            return ScanStoreSession(store: store, baseline: known, sink: sink)
        } catch {
            await store?.close()
            throw error
        }
    }

    public func close() async {
        await store?.close()
    }
}

/// An operand of `recon diff` or `--baseline`: a stored run's id (digits) or a report file.
/// A file whose name is all digits is written with a path (`./12`).
public enum StoredOrFile: Sendable, Equatable {
    case run(Int64)
    case file(String)

    public init(_ text: String) throws(StoreError) {
        if Self.isRunID(text) {
            guard let id = Int64(text), id > 0 else {
                throw StoreError(.usage, "no run \(text): run ids are 1 or more")
            }
            self = .run(id)
        } else {
            self = .file(text)
        }
    }

    /// True when `text` names a stored run (all digits).
    public static func isRunID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}
