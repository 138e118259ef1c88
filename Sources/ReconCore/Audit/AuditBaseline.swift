/// Where a finding stands against a baseline (`recon audit --baseline`), in SARIF's words
/// (`result.baselineState`): `new` (not in the baseline: it counts toward `--fail-on`),
/// `unchanged` (its fingerprint is in the baseline: known, never fails the run), `absent` (in
/// the baseline, gone now).
public enum BaselineState: String, Codable, Sendable, CaseIterable {
    case new, unchanged, absent
}

/// The findings of an earlier audit that a run is compared with: a report file's or a stored
/// run's. Findings are matched by fingerprint (rule, address, port and place).
public struct AuditBaseline: Sendable, Equatable {
    /// What the baseline is, for reports: `run 12` or the file's path.
    public var source: String
    /// The baseline's findings.
    public var findings: [AuditFinding]

    public init(source: String, findings: [AuditFinding]) {
        self.source = source
        self.findings = findings
    }

    /// The baseline of a saved report (`recon-scan` JSON v1 or v2), read by the first of
    /// `decoders` that recognizes it; one that holds no audit is refused, since an empty baseline
    /// would silently make every finding new. nmap XML never holds findings: refused as such.
    public init(reportFile path: String, decoders: [any ReportFileDecoder]) throws(ReportFileError) {
        let report = try ReportFile.read(path, decoders: decoders)
        guard let findings = report.findings else {
            let message =
                report.schema == ReportFile.nmapXMLSchema
                ? "is nmap XML, which holds no findings (write the baseline with recon audit --format json)"
                : "holds no audit (write the baseline with recon audit)"
            throw ReportFileError(path: path, message: message)
        }
        self.init(source: path, findings: findings)
    }

    /// `findings` each marked new or unchanged, and the baseline's findings that are gone
    /// (marked absent, without their waiver: it belonged to the old run).
    public func apply(to findings: [AuditFinding]) -> (findings: [AuditFinding], absent: [AuditFinding]) {
        let known = Set(self.findings.map(\.fingerprint))
        let current = Set(findings.map(\.fingerprint))
        let marked = findings.map { finding in
            var finding = finding
            finding.baselineState = known.contains(finding.fingerprint) ? .unchanged : .new
            return finding
        }
        var seen = Set<String>()
        let absent = self.findings.filter { !current.contains($0.fingerprint) && seen.insert($0.fingerprint).inserted }
            .map { finding in
                var finding = finding
                finding.baselineState = .absent
                finding.waiver = nil
                return finding
            }
        return (marked, absent)
    }
}

/// The baseline part of an audit summary: what was compared with, and how many findings are
/// new, unchanged and absent; the absent ones in full (they are in no other list).
public struct BaselineSummary: Codable, Sendable, Equatable {
    public var source: String
    public var new: Int
    public var unchanged: Int
    public var absent: Int
    public var absentFindings: [AuditFinding]

    public init(source: String, findings: [AuditFinding], absent: [AuditFinding]) {
        self.source = source
        new = findings.filter { $0.baselineState == .new }.count
        unchanged = findings.filter { $0.baselineState == .unchanged }.count
        self.absent = absent.count
        absentFindings = absent
    }

    enum CodingKeys: String, CodingKey {
        case source, new, unchanged, absent
        case absentFindings = "absent_findings"
    }
}
