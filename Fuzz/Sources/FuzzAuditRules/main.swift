// Fuzzes the audit rules format (AuditRules(path:text:)): rule blocks, settings, inspections,
// requests and their payloads; then the parsed rules audit the input itself as a banner. Checks:
// errors name a line of the file and stay on one line; a parsed file has unique, complete rules
// and unique requests; matching, however hostile rule and text, stays within its budget.
import FuzzSupport

@testable import ReconCore

let path = "fuzz.audit.rules"

fuzz { bytes in
    let text = bytes.text
    let rules: AuditRules
    do throws(AuditRulesError) {
        rules = try AuditRules(path: path, text: text)
    } catch {
        checkLineError(line: error.line, description: error.description, in: text, prefix: path)
        invariant(error.description.hasSuffix(error.message), "odd error: \(error)")
        return
    }
    let ids = rules.rules.map(\.id)
    invariant(Set(ids).count == ids.count, "repeated rule ids \(ids)")
    invariant(Set(rules.requests.map(\.name)).count == rules.requests.count, "repeated request names")
    for rule in rules.rules {
        invariant(!rule.inspections.isEmpty && !rule.title.isEmpty && !rule.remediation.isEmpty, "\(rule.id) lacks")
        invariant(rules.rule(rule.id)?.origin == rule.origin, "rule(\(rule.id)) finds another rule")
        invariant(rule.origin.hasPrefix("\(path):"), "odd origin \(rule.origin)")
    }
    let merged = rules.merging(rules)
    invariant(merged.rules.count == rules.rules.count, "merging with itself repeated rules")
    invariant(merged.requests.count == rules.requests.count, "merging with itself repeated requests")
    var service = PortService()
    service.banner = CapturedBytes(bytes, truncated: false)
    var budget = MatchBudget(nanoseconds: 100_000_000)
    let started = cpuSeconds()
    let outcome = Auditor(rules: rules).audit(
        host: "127.0.0.1", hostname: nil, port: 80, service: service, budget: &budget)
    invariant(cpuSeconds() - started < 2, "audit matching took \(cpuSeconds() - started) s")
    for finding in outcome.findings {
        invariant(finding.evidence.offset + finding.evidence.length <= bytes.count, "evidence")
    }
}
