/// The audit section of the text table: the verdict, then each finding with its evidence, the
/// setting that hides it, and its fingerprint.
enum FindingsTable {
    static func render(_ findings: [AuditFinding], _ summary: AuditSummary, colour: Bool = false) -> String {
        var out = "\nAudit: \(findings.count) finding\(findings.count == 1 ? "" : "s")"
        let counts = [
            ("high", summary.counts.high), ("medium", summary.counts.medium), ("low", summary.counts.low),
            ("info", summary.counts.info),
        ].filter { $0.1 > 0 }
        if !counts.isEmpty { out += " (" + counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")" }
        if summary.waived > 0 { out += ", \(summary.waived) waived" }
        if summary.cannotHide > 0 { out += ", \(summary.cannotHide) cannot be hidden" }
        out += "; fail-on \(summary.failOn): "
        out += summary.failed ? "FAIL (\(summary.failing) finding\(summary.failing == 1 ? "" : "s"))\n" : "pass\n"
        if let baseline = summary.baseline {
            out +=
                TerminalText.escaped(
                    "baseline \(baseline.source): \(baseline.new) new, \(baseline.unchanged) known, "
                        + "\(baseline.absent) gone") + "\n"
        }
        for waiver in summary.waivers where waiver.expired || waiver.matched == 0 {
            let state = waiver.expired ? "expired on \(waiver.expires ?? "?")" : "matched nothing"
            out += TerminalText.escaped("waiver \(waiver.origin) (\(waiver.selector)) \(state)") + "\n"
        }
        let listed = findings + (summary.baseline?.absentFindings ?? [])
        guard !listed.isEmpty else { return out }
        let width = max(8, listed.map { endpoint($0).count }.max() ?? 0)
        for finding in listed {
            let severity = TableRendering.pad(finding.severity.rawValue.uppercased(), 7)
            let code = [AuditSeverity.high: "31", .medium: "33", .low: "36", .info: "2"][finding.severity] ?? "0"
            out += "\n" + (colour ? "\u{1B}[\(code)m\(severity)\u{1B}[0m" : severity)
            out += TableRendering.pad(TerminalText.escaped(endpoint(finding)), width + 2) + finding.rule + "\n"
            let indent = String(repeating: " ", count: 7)
            var message = finding.message
            if !finding.hideable { message += " [cannot be hidden]" }
            if let waiver = finding.waiver {
                message += " [waived: \(waiver.reason)" + (waiver.expires.map { " until \($0)" } ?? "") + "]"
            }
            switch finding.baselineState {
            case .new: message += " [new]"
            case .unchanged: message += " [known: in the baseline]"
            case .absent: message += " [gone: in the baseline, not found now]"
            case nil: break
            }
            // Messages carry the service's words ($1...), locations its header names, waivers and
            // remediations a file's: all escaped.
            out += indent + TerminalText.escaped(message) + "\n"
            let evidence = finding.evidence
            let via = evidence.request.map { " (\($0))" } ?? ""
            out += indent + TerminalText.escaped("seen:  \(evidence.location)\(via): \"\(evidence.text)\"") + "\n"
            out += indent + TerminalText.escaped("fix:   \(finding.remediation)") + "\n"
            out += indent + "id:    \(finding.fingerprint)\n"
        }
        return out
    }

    private static func endpoint(_ finding: AuditFinding) -> String {
        finding.endpoint + (finding.service.map { " \($0)" } ?? "")
    }
}
