import Foundation
import ReconCore

/// One stored run as `recon history` lists it.
public struct HistoryEntry: Codable, Sendable, Equatable {
    public var id: Int64
    /// `scan` or `audit`.
    public var command: String
    /// The host name of the machine that ran it.
    public var scanner: String
    public var started: String
    /// Absent while the run is going on, or when it was killed before it could say it ended.
    public var ended: String?
    /// `complete`, `interrupted` (SIGINT, SIGTERM: what it reached is stored) or `incomplete`
    /// (no end recorded: still running, or killed).
    public var status: String
    public var interruptedBy: String?
    /// The scanned addresses, in scan order.
    public var targets: [String]
    public var ports: String
    public var portCount: Int
    public var summary: StateCounts
    /// With an audit: findings, and those that failed the run.
    public var findings: Int?
    public var failing: Int?

    enum CodingKeys: String, CodingKey {
        case id, command, scanner, started, ended, status, targets, ports, summary, findings, failing
        case interruptedBy = "interrupted_by"
        case portCount = "port_count"
    }

    init(_ row: StoreRow) {
        id = row.integer(0) ?? 0
        command = row.text(1) ?? ""
        scanner = row.text(2) ?? ""
        started = row.text(3) ?? ""
        ended = row.text(4)
        interruptedBy = row.text(6)
        status = row.integer(5) == 1 ? "complete" : ended == nil ? "incomplete" : "interrupted"
        targets = (row.text(7) ?? "").split(separator: " ").map(String.init)
        ports = row.text(8) ?? ""
        portCount = Int(row.integer(9) ?? 0)
        summary = StateCounts()
        summary.open = Int(row.integer(10) ?? 0)
        summary.closed = Int(row.integer(11) ?? 0)
        summary.filtered = Int(row.integer(12) ?? 0)
        summary.error = Int(row.integer(13) ?? 0)
        summary.unscanned = Int(row.integer(14) ?? 0)
        findings = row.integer(15).map(Int.init)
        failing = row.integer(16).map(Int.init)
    }
}

/// `recon history`'s output formats.
public enum HistoryFormat: String, Sendable, CaseIterable {
    case table, json
}

/// Renders the history: a table, newest first, or one JSON document (`recon-history/1`).
public enum HistoryRendering {
    public static let schemaIdentifier = "recon-history/1"

    public static func render(_ entries: [HistoryEntry], store: String, as format: HistoryFormat) -> [UInt8] {
        switch format {
        case .json:
            struct Document: Encodable {
                var schema = HistoryRendering.schemaIdentifier
                var store: String
                var runs: [HistoryEntry]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(Document(store: store, runs: entries))) ?? Data("{}".utf8)
            return Array(data) + [0x0A]
        case .table:
            return Array(table(entries, store: store).utf8)
        }
    }

    static func table(_ entries: [HistoryEntry], store: String) -> String {
        guard !entries.isEmpty else { return TerminalText.escaped("No runs in \(store).") + "\n" }
        let header = ["ID", "STARTED", "SCANNER", "TARGETS", "PORTS", "OPEN", "FINDINGS", "STATUS"]
        let rows = entries.map { entry in
            var targets = entry.targets.prefix(3).joined(separator: " ")
            if entry.targets.count > 3 { targets += " +\(entry.targets.count - 3)" }
            let status = entry.interruptedBy.map { "\(entry.status) (\($0))" } ?? entry.status
            return [
                String(entry.id), entry.started, entry.scanner, targets, entry.ports, String(entry.summary.open),
                entry.findings.map(String.init) ?? "-", status,
            ].map { TerminalText.escaped($0) }
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], min(cell.count, 40)) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1
                    ? cell : cell + String(repeating: " ", count: max(1, widths[index] - cell.count + 2))
            }.joined()
        }
        var out = line(header) + "\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }
}
