// Fuzzes recon's service rules format (ServiceRules(path:text:)): probes, payloads, match lines
// and port tables; then the parsed rules identify the input itself as a banner and an HTTP reply.
// Checks: errors name a line of the file and stay on one line; a parsed file answers its queries
// and merges with itself; matching, however hostile rule and reply, stays within its budget.
import FuzzSupport

@testable import ReconCore

let path = "fuzz.rules"

fuzz { bytes in
    let text = bytes.text
    let rules: ServiceRules
    do throws(ServiceRulesError) {
        rules = try ServiceRules(path: path, text: text)
    } catch {
        checkLineError(line: error.line, description: error.description, in: text, prefix: path)
        invariant(error.description.hasSuffix(error.message), "odd error: \(error)")
        return
    }
    invariant(rules.matchCount <= text.lineCount && rules.probeCount <= text.lineCount, "more rules than lines")
    for port: UInt16 in [1, 22, 80, 443, 6379, 65535] {
        // Silent ports get every probe that waits for no greeting, once; the others follow a greeting.
        let probes = rules.probes(for: port) + rules.otherProbes(for: port)
        let following = rules.customProbes.filter { $0.greeting != nil }
        invariant(probes.allSatisfy { $0.greeting == nil }, "a probe that follows a greeting for a silent port")
        invariant(probes.count + following.count == rules.probeCount, "probes for \(port) are not every probe once")
        invariant(
            rules.hasPortSpecificProbe(for: port) == rules.customProbes.contains { $0.ports.contains(port) },
            "port probes")
        _ = rules.portTableName(for: port)
    }
    let merged = rules.merging(rules)
    invariant(merged.probeCount == rules.probeCount, "merging with itself added probes")
    invariant(merged.matchCount == 2 * rules.matchCount, "merging with itself lost matches")
    // Matching is bounded: 100 ms of budget, plus at most one match that runs to its limit.
    var budget = MatchBudget(nanoseconds: 100_000_000)
    let replies = [ProbeReply(probe: "banner", bytes: bytes), ProbeReply(probe: "http", bytes: bytes)]
    let started = cpuSeconds()
    _ = rules.identify(port: 80, replies: replies, tunnel: nil, budget: &budget)
    invariant(cpuSeconds() - started < 2, "identification took \(cpuSeconds() - started) s")
}
