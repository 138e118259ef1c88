import Foundation
import ReconCore

#if canImport(Glibc)
    import Glibc
#endif

/// recon's scan history: runs saved with `--save` (their hosts, listed ports with services and
/// the banners' exact bytes, handshakes, findings), read back as reports for `recon diff` and
/// `recon audit --baseline`, and listed by `recon history`. The same schema and migrations on
/// SQLite (default) and PostgreSQL.
public final class ScanStore: Sendable {
    public let location: StoreLocation
    let backend: any StoreBackend

    private init(location: StoreLocation, backend: any StoreBackend) {
        self.location = location
        self.backend = backend
    }

    /// Opens the store at `location` (creating and migrating it as needed; an SQLite file that
    /// does not exist yet is refused unless `creating`). Throws `unavailable` when it cannot be
    /// opened, reached or migrated: callers do this before any scan.
    public static func open(_ location: StoreLocation, creating: Bool = true) async throws(StoreError) -> ScanStore {
        let backend: any StoreBackend
        switch location {
        case .sqlite(let path, let createsFolder):
            if !creating && access(path, F_OK) != 0 {
                throw StoreError(.unavailable, "no store at \(path) (save a scan there with --save first)")
            }
            backend = try SQLiteBackend(path: path, createsFolder: createsFolder)
        case .postgres(let postgres): backend = try await PostgresBackend(postgres)
        }
        do throws(StoreError) {
            // Most opens find the schema current: one read, no lock, no transaction.
            let current = try? await backend.read(SQLStatement("SELECT max(version) FROM recon_schema"))
            let version = current?.first?.integer(0).map(Int.init) ?? 0
            if version >= StoreSchema.latest {
                if let problem = StoreSchema.problem(withVersion: version, location: location.description) {
                    throw problem
                }
            } else {
                try await backend.migrate(StoreSchema.migrations)
            }
        } catch {
            await backend.close()
            throw error
        }
        return ScanStore(location: location, backend: backend)
    }

    public func close() async {
        await backend.close()
    }

    // MARK: Writing a run

    /// Records the start of a run (incomplete until `finishRun`); returns its id.
    public func beginRun(_ run: RunInfo, targets: [AuthorizedTarget], command: String, scanner: String)
        async throws(StoreError) -> Int64
    {
        let addresses = targets.map(\.address.description)
        let statement = SQLStatement(
            """
            INSERT INTO runs (command, scanner, schema, started, ended, complete, interrupted_by, targets,
                target_key, ports, port_count, open_count, closed_count, filtered_count, error_count,
                unscanned_count, findings_count, failing_count, run_json, audit_json)
            VALUES (?, ?, ?, ?, NULL, 0, NULL, ?, ?, ?, ?, 0, 0, 0, 0, ?, NULL, NULL, ?, NULL) RETURNING id
            """,
            [
                .text(command), .text(scanner), .text(ScanReport.schemaIdentifier), .text(run.started),
                .text(addresses.joined(separator: " ")), .text(Self.targetKey(addresses)), .text(run.ports),
                .integer(Int64(run.portCount)), .integer(Int64(run.portCount * targets.count)),
                .text(try JSONText()(run)),
            ])
        guard let id = try await backend.write([statement]).first?.integer(0) else {
            throw StoreError(.unavailable, "store \(location): the new run got no id")
        }
        return id
    }

    /// Records the end of run `id` in one transaction: the run's final header and counts, its
    /// hosts, listed ports and findings. An interrupted scan's report is stored as it is, marked
    /// incomplete.
    public func finishRun(_ id: Int64, report: ScanReport) async throws(StoreError) {
        let json = JSONText()
        let run = report.run
        let summary = report.summary
        var statements = [
            SQLStatement(
                """
                UPDATE runs SET ended = ?, complete = ?, interrupted_by = ?, open_count = ?, closed_count = ?,
                    filtered_count = ?, error_count = ?, unscanned_count = ?, findings_count = ?, failing_count = ?,
                    run_json = ?, audit_json = ? WHERE id = ?
                """,
                [
                    .text(run.ended), .integer(run.complete ? 1 : 0), run.interruptedBy.map(StoreValue.text) ?? .null,
                    .integer(Int64(summary.open)), .integer(Int64(summary.closed)), .integer(Int64(summary.filtered)),
                    .integer(Int64(summary.error)), .integer(Int64(summary.unscanned)),
                    report.findings.map { .integer(Int64($0.count)) } ?? .null,
                    report.audit.map { .integer(Int64($0.failing)) } ?? .null, .text(try json(run)),
                    try json.value(report.audit), .integer(id),
                ]),
            SQLStatement("DELETE FROM hosts WHERE run_id = ?", [.integer(id)]),
            SQLStatement("DELETE FROM ports WHERE run_id = ?", [.integer(id)]),
            SQLStatement("DELETE FROM findings WHERE run_id = ?", [.integer(id)]),
        ]
        var hostRows: [[StoreValue]] = []
        var portRows: [[StoreValue]] = []
        for (index, host) in report.hosts.enumerated() {
            var shell = host
            shell.ports = []
            let counts = host.summary
            hostRows.append([
                .integer(id), .integer(Int64(index)), .text(host.address), host.hostname.map(StoreValue.text) ?? .null,
                .integer(Int64(counts.open)), .integer(Int64(counts.closed)), .integer(Int64(counts.filtered)),
                .integer(Int64(counts.error)), .integer(Int64(counts.unscanned)),
                host.closed.map { .text($0.ports.description) } ?? .null, .text(try json(shell)),
            ])
            for entry in host.ports { portRows.append(try Self.portRow(entry, run: id, host: index, json: json)) }
        }
        statements += SQLStatement.insert(
            into: "hosts",
            columns: [
                "run_id", "idx", "address", "hostname", "open_count", "closed_count", "filtered_count", "error_count",
                "unscanned_count", "closed_ports", "host_json",
            ], rows: hostRows)
        statements += SQLStatement.insert(
            into: "ports",
            columns: [
                "run_id", "host_idx", "port", "state", "reason", "service", "product", "version", "banner",
                "banner_truncated", "entry_json", "handshake_json",
            ], rows: portRows)
        var findingRows: [[StoreValue]] = []
        for (index, finding) in (report.findings ?? []).enumerated() {
            findingRows.append([
                .integer(id), .integer(Int64(index)), .text(finding.fingerprint), .text(finding.rule),
                .text(finding.severity.rawValue), .text(finding.host), .integer(Int64(finding.port)),
                .integer(finding.waiver == nil ? 0 : 1), .text(try json(finding)),
            ])
        }
        statements += SQLStatement.insert(
            into: "findings",
            columns: ["run_id", "seq", "fingerprint", "rule", "severity", "host", "port", "waived", "finding_json"],
            rows: findingRows)
        _ = try await backend.write(statements)
    }

    /// A port's row: queryable columns (state, service, the banner's exact bytes) and the entry
    /// itself as JSON without the banner and handshake, which have columns of their own.
    private static func portRow(_ entry: PortEntry, run: Int64, host: Int, json: JSONText) throws(StoreError)
        -> [StoreValue]
    {
        var rest = entry
        rest.banner = nil
        rest.handshake = nil
        let service = entry.service
        return [
            .integer(run), .integer(Int64(host)), .integer(Int64(entry.port)), .text(entry.state.rawValue),
            .text(entry.reason.rawValue), service.map { .text($0.name) } ?? .null,
            service?.product.map(StoreValue.text) ?? .null, service?.version.map(StoreValue.text) ?? .null,
            entry.banner.map { .blob($0.bytes) } ?? .null, entry.banner.map { .integer($0.truncated ? 1 : 0) } ?? .null,
            .text(try json(rest)), try json.value(entry.handshake),
        ]
    }

    // MARK: Reading runs

    /// The report of stored run `id`, as it was written (an interrupted or killed run's as far
    /// as it got); `usage` when there is no such run.
    public func report(run id: Int64) async throws(StoreError) -> (report: ScanReport, scanner: String) {
        let runs = try await backend.read(
            SQLStatement(
                """
                SELECT schema, run_json, audit_json, open_count, closed_count, filtered_count, error_count,
                    unscanned_count, scanner FROM runs WHERE id = ?
                """, [.integer(id)]))
        guard let row = runs.first else { throw StoreError(.usage, "no run \(id) in the store \(location)") }
        let run: RunInfo = try decode(row.text(1), "run \(id)")
        var summary = StateCounts()
        (summary.open, summary.closed, summary.filtered) = (count(row, 3), count(row, 4), count(row, 5))
        (summary.error, summary.unscanned) = (count(row, 6), count(row, 7))
        var hosts: [HostReport] = []
        for hostRow in try await backend.read(
            SQLStatement("SELECT host_json FROM hosts WHERE run_id = ? ORDER BY idx", [.integer(id)]))
        {
            hosts.append(try decode(hostRow.text(0), "run \(id) host"))
        }
        let portRows = try await backend.read(
            SQLStatement(
                """
                SELECT host_idx, entry_json, banner, banner_truncated, handshake_json FROM ports
                WHERE run_id = ? ORDER BY host_idx, port
                """, [.integer(id)]))
        for portRow in portRows {
            let index = Int(portRow.integer(0) ?? -1)
            guard hosts.indices.contains(index) else { continue }
            var entry: PortEntry = try decode(portRow.text(1), "run \(id) port")
            if let bytes = portRow.blob(2) {
                entry.banner = CapturedBytes(bytes, truncated: portRow.integer(3) == 1)
            }
            if let handshake = portRow.text(4) { entry.handshake = try decode(handshake, "run \(id) handshake") }
            hosts[index].ports.append(entry)
        }
        var findings: [AuditFinding]?
        var audit: AuditSummary?
        if let auditJSON = row.text(2) {
            audit = try decode(auditJSON, "run \(id) audit")
            var list: [AuditFinding] = []
            for findingRow in try await backend.read(
                SQLStatement("SELECT finding_json FROM findings WHERE run_id = ? ORDER BY seq", [.integer(id)]))
            {
                list.append(try decode(findingRow.text(0), "run \(id) finding"))
            }
            findings = list
        }
        let report = ScanReport(
            schema: row.text(0) ?? ScanReport.schemaIdentifier, run: run, hosts: hosts, summary: summary,
            findings: findings, audit: audit)
        return (report, row.text(8) ?? "")
    }

    /// The newest complete run and the complete run before it over the same targets from the
    /// same scanner: what `recon diff` compares without operands.
    public func lastTwoComparableRuns() async throws(StoreError) -> (old: Int64, new: Int64) {
        let newest = try await backend.read(
            SQLStatement("SELECT id, target_key, scanner FROM runs WHERE complete = 1 ORDER BY id DESC LIMIT 1"))
        guard let row = newest.first, let id = row.integer(0), let key = row.text(1), let scanner = row.text(2) else {
            throw StoreError(.usage, "no complete run in the store \(location): nothing to compare")
        }
        let previous = try await backend.read(
            SQLStatement(
                """
                SELECT id FROM runs WHERE complete = 1 AND target_key = ? AND scanner = ? AND id < ?
                ORDER BY id DESC LIMIT 1
                """, [.text(key), .text(scanner), .integer(id)]))
        guard let old = previous.first?.integer(0) else {
            throw StoreError(
                .usage,
                "run \(id) is the only complete run over its targets in the store \(location): "
                    + "give two runs or report files to compare")
        }
        return (old, id)
    }

    /// The stored runs, newest first; with `targets`, only runs that scanned one of them (an
    /// address, a CIDR block, or a host name as given to the scan); at most `limit`.
    public func history(targets: [String] = [], limit: Int? = nil) async throws(StoreError) -> [HistoryEntry] {
        var sql = """
            SELECT id, command, scanner, started, ended, complete, interrupted_by, targets, ports, port_count,
                open_count, closed_count, filtered_count, error_count, unscanned_count, findings_count, failing_count
            FROM runs ORDER BY id DESC
            """
        if targets.isEmpty, let limit { sql += " LIMIT \(max(0, limit))" }
        var entries = try await backend.read(SQLStatement(sql)).map(HistoryEntry.init)
        if !targets.isEmpty {
            let hostnames = try await hostnamesByRun(targets)
            let filter = TargetFilter(targets)
            entries = entries.filter { filter.matches($0.targets) || hostnames.contains($0.id) }
            if let limit { entries = Array(entries.prefix(max(0, limit))) }
        }
        return entries
    }

    /// Runs with a host scanned under one of the names in `targets`.
    private func hostnamesByRun(_ targets: [String]) async throws(StoreError) -> Set<Int64> {
        let names = targets.filter { IPAddress($0) == nil && CIDRBlock($0) == nil }
        guard !names.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ",")
        let rows = try await backend.read(
            SQLStatement(
                "SELECT DISTINCT run_id FROM hosts WHERE hostname IN (\(placeholders))", names.map(StoreValue.text)))
        return Set(rows.compactMap { $0.integer(0) })
    }

    // MARK: Helpers

    /// The targets' addresses as one key, whatever their order: runs "over the same targets".
    static func targetKey(_ addresses: [String]) -> String {
        Set(addresses).sorted().joined(separator: " ")
    }

    private func count(_ row: StoreRow, _ column: Int) -> Int { Int(row.integer(column) ?? 0) }

    private func decode<Value: Decodable>(_ text: String?, _ what: String) throws(StoreError) -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: Data((text ?? "").utf8))
        } catch {
            throw StoreError(.unavailable, "store \(location): \(what) cannot be read back: \(error)")
        }
    }
}

/// Which runs `recon history TARGET...` keeps: those whose addresses include one of the
/// addresses given or fall in one of the CIDR blocks.
struct TargetFilter {
    var addresses: Set<IPAddress> = []
    var blocks: [CIDRBlock] = []

    init(_ targets: [String]) {
        for target in targets {
            if let address = IPAddress(target) {
                addresses.insert(address)
            } else if let block = CIDRBlock(target) {
                blocks.append(block)
            }
        }
    }

    func matches(_ runTargets: [String]) -> Bool {
        runTargets.contains { text in
            guard let address = IPAddress(text) else { return false }
            return addresses.contains(address) || blocks.contains { $0.contains(address) }
        }
    }
}

/// Encodes the report's parts as the store keeps them: the report's own JSON, keys sorted. One
/// encoder for all the rows of a run.
struct JSONText {
    private let encoder: JSONEncoder

    init() {
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    func callAsFunction(_ value: some Encodable) throws(StoreError) -> String {
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw StoreError(.unavailable, "cannot encode \(type(of: value)) for the store: \(error)")
        }
    }

    /// The JSON text of `value`, or NULL.
    func value(_ value: (some Encodable)?) throws(StoreError) -> StoreValue {
        guard let value else { return .null }
        return .text(try self(value))
    }
}
