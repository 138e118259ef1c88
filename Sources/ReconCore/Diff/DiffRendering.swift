#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `recon diff`'s output formats.
public enum DiffFormat: String, Sendable, CaseIterable {
    case table, json, jsonl
}

/// Renders a diff: a readable table (ndiff style: `+` opened, `-` closed, `~` service changed,
/// `!` other state change), one JSON document (`recon-diff/1`), or JSON Lines (a `start` record,
/// one `change` record per change, `not-compared` records, an `end` record).
public struct DiffRendering: Sendable {
    private let encoder: JSONEncoder

    public init() {
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// The diff in `format`, ending in a newline.
    public func render(_ diff: ScanDiff, as format: DiffFormat) -> [UInt8] {
        switch format {
        case .table: return Array(table(diff).utf8)
        case .json: return encode(diff) + [0x0A]
        case .jsonl:
            var out = encode(StartRecord(old: diff.old, new: diff.new)) + [0x0A]
            for change in diff.changes { out += encode(Record(type: "change", body: change)) + [0x0A] }
            for ports in diff.notCompared { out += encode(Record(type: "not-compared", body: ports)) + [0x0A] }
            let end = EndRecord(changed: diff.changed, summary: diff.summary, findingsCompared: diff.findingsCompared)
            return out + encode(end) + [0x0A]
        }
    }

    /// The table: a header naming both sides, the changes by host, what was not compared, a total.
    public func table(_ diff: ScanDiff) -> String {
        var out = TerminalText.escaped("recon diff: \(describe(diff.old)) -> \(describe(diff.new))") + "\n"
        var host: String?
        for change in diff.changes {
            if change.host != host {
                host = change.host
                out += "\n" + TerminalText.escaped(change.host + (change.hostname.map { " (\($0))" } ?? "")) + "\n"
            }
            out += "  " + TerminalText.escaped(line(change)) + "\n"
        }
        if diff.old.audited != diff.new.audited {
            let other = diff.old.audited ? diff.new : diff.old
            let why =
                other.schema == ReportFile.nmapXMLSchema ? " (the other is nmap XML, which holds no findings)" : ""
            out += "\nFindings not compared: only the \(diff.old.audited ? "old" : "new") scan is an audit\(why)\n"
        }
        if !diff.notCompared.isEmpty { out += "\n" }
        for ports in diff.notCompared {
            let side = ports.onlyIn == "old" ? "the old scan" : "the new scan"
            out += TerminalText.escaped("Not compared: \(ports.host) ports \(ports.ports) (only \(side) covered them)")
            out += "\n"
        }
        out += "\n" + total(diff.summary) + "\n"
        return out
    }

    private func describe(_ side: DiffSide) -> String {
        var facts = [side.started]
        if let scanner = side.scanner { facts.append(scanner) }
        facts.append(side.targets.joined(separator: " "))
        facts.append("ports \(side.ports)")
        if !side.complete { facts.append("incomplete") }
        return "\(side.label) (\(facts.joined(separator: ", ")))"
    }

    private func line(_ change: DiffChange) -> String {
        let port = "\(change.port)/tcp"
        func state(_ snapshot: PortSnapshot?) -> String {
            guard let snapshot else { return "?" }
            var text = snapshot.state + (snapshot.reason.map { " (\($0))" } ?? "")
            let service = [snapshot.service, snapshot.product, snapshot.version].compactMap { $0 }
            if !service.isEmpty { text += " " + service.joined(separator: " ") }
            return text
        }
        switch change.kind {
        case .portOpened: return "+\(pad(port)) \(state(change.new)), was \(state(change.old))"
        case .portClosed: return "-\(pad(port)) \(state(change.new)), was \(state(change.old))"
        case .portState: return "!\(pad(port)) \(state(change.new)), was \(state(change.old))"
        case .serviceChanged:
            let fields = (change.fields ?? []).map { field in
                "\(field.field) \(quoted(field.old)) -> \(quoted(field.new))"
            }
            return "~\(pad(port)) " + fields.joined(separator: "; ")
        case .findingNew, .findingGone:
            guard let finding = change.finding else { return "" }
            let sign = change.kind == .findingNew ? "+" : "-"
            return "\(sign)\(pad(port)) finding \(finding.severity.rawValue.uppercased()) \(finding.rule): "
                + "\(finding.message) (\(finding.location); id \(finding.fingerprint))"
        }
    }

    private func pad(_ text: String) -> String {
        text.count >= 10 ? text : text + String(repeating: " ", count: 10 - text.count)
    }

    private func quoted(_ value: FieldValue?) -> String {
        guard let value else { return "(none)" }
        if case .bytes = value { return "\"\(value.text)\"" }
        return value.text
    }

    private func total(_ summary: DiffSummary) -> String {
        guard summary.total > 0 else { return "No changes." }
        let parts = [
            (summary.opened, "opened"), (summary.closed, "closed"), (summary.stateChanged, "changed state"),
            (summary.serviceChanged, "service changed"), (summary.findingsNew, "new findings"),
            (summary.findingsGone, "findings gone"),
        ].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        return "\(summary.total) change\(summary.total == 1 ? "" : "s"): " + parts.joined(separator: ", ")
    }

    private func encode(_ value: some Encodable) -> [UInt8] {
        do {
            return Array(try encoder.encode(value))
        } catch {
            fatalError("recon: could not encode the diff: \(error)")
        }
    }

    /// First JSON Lines record.
    struct StartRecord: Encodable {
        var type = "start"
        var schema = ScanDiff.schemaIdentifier
        var old: DiffSide
        var new: DiffSide
    }

    /// A change or a not-compared record: the body's fields plus `type`.
    struct Record<Body: Encodable>: Encodable {
        var type: String
        var body: Body

        enum CodingKeys: String, CodingKey { case type }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try body.encode(to: encoder)
        }
    }

    /// Last JSON Lines record.
    struct EndRecord: Encodable {
        var type = "end"
        var changed: Bool
        var summary: DiffSummary
        var findingsCompared: Bool

        enum CodingKeys: String, CodingKey {
            case type, changed, summary
            case findingsCompared = "findings_compared"
        }
    }
}
