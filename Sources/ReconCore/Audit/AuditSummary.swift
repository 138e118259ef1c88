/// Which findings make a run fail (`--fail-on`): those at or above a severity, or none.
public enum AuditThreshold: Sendable, Equatable, CustomStringConvertible {
    case never
    case atLeast(AuditSeverity)

    /// `none`, `info`, `low`, `medium` or `high`.
    public init?(_ text: String) {
        if text == "none" {
            self = .never
        } else if let severity = AuditSeverity(rawValue: text) {
            self = .atLeast(severity)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .never: return "none"
        case .atLeast(let severity): return severity.rawValue
        }
    }

    /// True if `finding` fails the run: severe enough, hideable, not waived, and not known
    /// from the baseline.
    public func fails(_ finding: AuditFinding) -> Bool {
        guard case .atLeast(let minimum) = self else { return false }
        return finding.severity >= minimum && finding.hideable && finding.waiver == nil
            && finding.baselineState != .unchanged && finding.baselineState != .absent
    }
}

/// The audit part of a report: rules used, the threshold, counts, waivers, and the verdict.
public struct AuditSummary: Codable, Sendable, Equatable {
    /// The rules files read, and how many rules they hold.
    public var rules: [String]
    public var ruleCount: Int
    /// The `--fail-on` threshold (`none` or a severity).
    public var failOn: String
    /// Findings by severity (waived ones included).
    public var counts: SeverityCounts
    /// Findings a waiver silenced, and findings no setting can hide.
    public var waived: Int
    public var cannotHide: Int
    /// Findings that fail the run, and whether there were any.
    public var failing: Int
    public var failed: Bool
    /// Every waiver read, whether it expired, and how many findings it selected.
    public var waivers: [WaiverStatus]
    /// With `--baseline`: the comparison with it.
    public var baseline: BaselineSummary?

    enum CodingKeys: String, CodingKey {
        case rules, counts, waived, failing, failed, waivers, baseline
        case ruleCount = "rule_count"
        case failOn = "fail_on"
        case cannotHide = "cannot_hide"
    }

    public init(
        rules: AuditRules, threshold: AuditThreshold, findings: [AuditFinding], waivers: [WaiverStatus],
        baseline: BaselineSummary? = nil
    ) {
        self.rules = rules.sources
        ruleCount = rules.rules.count
        failOn = threshold.description
        var counts = SeverityCounts()
        for finding in findings { counts.add(finding.severity) }
        self.counts = counts
        waived = findings.filter { $0.waiver != nil }.count
        cannotHide = findings.filter { !$0.hideable }.count
        failing = findings.filter(threshold.fails).count
        failed = failing > 0
        self.waivers = waivers
        self.baseline = baseline
    }
}

/// How many findings have each severity.
public struct SeverityCounts: Codable, Sendable, Equatable {
    public var info = 0
    public var low = 0
    public var medium = 0
    public var high = 0

    public init() {}

    mutating func add(_ severity: AuditSeverity) {
        switch severity {
        case .info: info += 1
        case .low: low += 1
        case .medium: medium += 1
        case .high: high += 1
        }
    }
}
