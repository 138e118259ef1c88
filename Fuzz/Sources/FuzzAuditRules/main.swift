// Fuzzes the audit rules format (AuditRules(path:text:)): rule blocks, settings, inspections,
// requests and their payloads; then the parsed rules audit the input itself as a banner. Checks:
// errors name a line of the file and stay on one line; a parsed file has unique, complete rules
// and unique requests; matching, however hostile rule and text, stays within its budget.
import FuzzSupport
import Glibc

@testable import ReconCore

let path = "fuzz.audit.rules"

fuzz { bytes in
    let text = bytes.text
    let rules: AuditRules
    do throws(AuditRulesError) {
        rules = try AuditRules(path: path, text: text)
    } catch {
        invariant((1...max(1, text.lineCount)).contains(error.line), "error at line \(error.line): \(error)")
        invariant(error.description == "\(path):\(error.line): \(error.message)", "odd error: \(error)")
        invariant(!error.description.isMultiline, "error on more than one line: \(error)")
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

/// CPU time of this thread: a loaded machine (other fuzzers, builds) must not look like a slow match.
func cpuSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
