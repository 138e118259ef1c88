import Foundation
import ReconTestSupport
import Testing

@testable import ReconCore

/// Measurements behind `MatchLimits.standard` (run with RECON_MEASURE=1; they only print):
/// for every shipped rule (and nmap's, when installed) on real and hostile replies, the least
/// PCRE2 match limit the match needs and the time it takes.
@Suite("Match measurements", .enabled(if: ProcessInfo.processInfo.environment["RECON_MEASURE"] != nil))
struct MatchMeasureTests {
    static let generous = MatchLimits(
        matchLimit: 4_000_000_000, depthLimit: 4_000_000_000, heapLimitKiB: 4_000_000_000, jitStackBytes: 64 << 20)

    /// The least match limit with which `pattern` completes on `subject` (0 when it needs none).
    static func neededMatchLimit(_ pattern: CompiledPattern, _ subject: [UInt8], anchored: Bool) -> UInt32 {
        func completes(_ limit: UInt32) -> Bool {
            var limits = generous
            limits.matchLimit = limit
            if case .limitExceeded = pattern.match(subject[...], anchored: anchored, with: Matcher(limits: limits)) {
                return false
            }
            return true
        }
        var (low, high): (UInt32, UInt32) = (1, 1)
        while !completes(high) {
            low = high
            guard high < 1_000_000_000 else { return high }
            high *= 4
        }
        while low < high {
            let middle = low + (high - low) / 2
            if completes(middle) { high = middle } else { low = middle + 1 }
        }
        return high
    }

    static func milliseconds(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
    }

    struct Row {
        var label: String
        var input: String
        var limit: UInt32
        var ms: Double
    }

    /// Each pattern on each input, and on the input after the pattern's literal prefix (so that
    /// anchored patterns get past their start), as identification would try it (prefilter first).
    static func measure(_ patterns: [(String, CompiledPattern, Bool)], _ inputs: [(String, [UInt8])], jit: Bool = true)
        -> [Row]
    {
        var rows: [Row] = []
        let matcher = Matcher(limits: generous)
        var probe = generous
        probe.matchLimit = 10_000
        let probeMatcher = Matcher(limits: probe)
        var subjects: [[UInt8]: [(String, [UInt8], MatchSubject)]] = [:]
        func prepared(_ prefix: [UInt8]) -> [(String, [UInt8], MatchSubject)] {
            if let known = subjects[prefix] { return known }
            let made = inputs.map { name, bytes in
                let capped = Array((prefix + bytes).prefix(16 * 1024))
                return ((prefix.isEmpty ? "" : "prefix+") + name, capped, MatchSubject(capped))
            }
            subjects[prefix] = made
            return made
        }
        for (label, compiled, anchored) in patterns {
            let pattern =
                jit
                ? compiled
                : try! CompiledPattern(
                    compiled.source, ignoresCase: compiled.ignoresCase, dotAll: compiled.dotAll, jit: false)
            let filter = PatternPrefilter(pattern: pattern.source, caseInsensitive: pattern.ignoresCase)
            let variants = filter.prefix.isEmpty ? prepared([]) : prepared([]) + prepared(filter.prefix)
            for (name, capped, subject) in variants {
                // Service rules (labelled FILE:LINE) run only where their prefilter admits.
                guard !label.contains(":") || filter.admits(subject) else { continue }
                var best = Double.infinity
                for _ in 0..<2 {
                    best = min(best, milliseconds { _ = pattern.match(capped[...], anchored: anchored, with: matcher) })
                }
                var limit: UInt32 = 0
                if case .limitExceeded = pattern.match(capped[...], anchored: anchored, with: probeMatcher) {
                    limit = neededMatchLimit(pattern, capped, anchored: anchored)
                }
                rows.append(Row(label: label, input: name, limit: limit, ms: best))
            }
        }
        return rows
    }

    static func shippedPatterns() throws -> [(String, CompiledPattern, Bool)] {
        let services = try ServiceIdentificationTests.rules()
        let audit = try AuditRulesTests.shipped()
        return services.rulesByProbe.values.joined().map { ($0.origin, $0.pattern, $0.prefilter.isAnchored) }
            + audit.rules.map { ($0.id, $0.pattern, false) }
    }

    static func realReplies() -> [(String, [UInt8])] {
        (ServiceIdentificationTests.banners + ServiceIdentificationTests.probeReplies
            + ServiceIdentificationTests.httpReplies).map { ($0.label, $0.bytes) }
    }

    static func report(_ title: String, _ rows: [Row]) {
        let total = rows.reduce(0) { $0 + $1.ms }
        let over = rows.filter { $0.limit > 0 }.count
        print(
            "== \(title): \(rows.count) matches, \(String(format: "%.1f", total)) ms, \(over) need a match limit over 10000"
        )
        let byLimit = rows.sorted { $0.limit > $1.limit }
        for row in byLimit.prefix(12) where row.limit > 0 {
            print("  limit \(row.limit)  \(String(format: "%.3f", row.ms)) ms  \(row.label)  \(row.input)")
        }
        let byTime = rows.sorted { $0.ms > $1.ms }
        for row in byTime.prefix(12) {
            print("  time \(String(format: "%.3f", row.ms)) ms  limit \(row.limit)  \(row.label)  \(row.input)")
        }
        fflush(nil)
    }

    @Test func shippedRulesOnRealReplies() throws {
        Self.report("shipped rules, real replies", Self.measure(try Self.shippedPatterns(), Self.realReplies()))
    }

    @Test func shippedRulesOnHostileInput() throws {
        Self.report(
            "shipped rules, hostile input",
            Self.measure(try Self.shippedPatterns(), ShippedRulesHostileTests.hostileSubjects))
        Self.report(
            "shipped rules, hostile input, interpreter",
            Self.measure(try Self.shippedPatterns(), ShippedRulesHostileTests.hostileSubjects, jit: false))
    }

    @Test func nmapLoad() throws {
        let path = "/usr/share/nmap/nmap-service-probes"
        guard FileManager.default.fileExists(atPath: path) else { return }
        var rules = ServiceRules()
        let ms = Self.milliseconds { rules = try! ServiceRules.nmapServiceProbes(contentsOf: path) }
        let patterns = rules.rulesByProbe.values.joined()
        let jit = patterns.filter(\.pattern.isJITCompiled).count
        print(
            "== nmap load: \(rules.matchCount) match lines kept (\(jit) JIT-compiled), \(rules.skippedMatchCount) skipped, "
                + "\(String(format: "%.0f", ms)) ms")
        fflush(nil)
    }

    @Test func nmapRulesOnRealReplies() throws {
        let path = "/usr/share/nmap/nmap-service-probes"
        guard FileManager.default.fileExists(atPath: path) else { return }
        let rules = try ServiceRules.nmapServiceProbes(contentsOf: path)
        let patterns = rules.rulesByProbe.values.joined().map { ($0.origin, $0.pattern, $0.prefilter.isAnchored) }
        Self.report("nmap rules, real replies", Self.measure(patterns, Self.realReplies()))
    }

    @Test func nmapRulesOnHostileInput() throws {
        let path = "/usr/share/nmap/nmap-service-probes"
        guard FileManager.default.fileExists(atPath: path) else { return }
        let rules = try ServiceRules.nmapServiceProbes(contentsOf: path)
        let patterns = rules.rulesByProbe.values.joined().map { ($0.origin, $0.pattern, $0.prefilter.isAnchored) }
        Self.report("nmap rules, hostile input", Self.measure(patterns, ShippedRulesHostileTests.hostileSubjects))
    }

    @Test func pathological() {
        let pattern = try! CompiledPattern("(a?){50}a{50}", ignoresCase: false, dotAll: false)
        let subject = [UInt8](repeating: UInt8(ascii: "a"), count: 50)
        for limit: UInt32 in [10_000, 100_000, 200_000, 1_000_000, 10_000_000] {
            var limits = MatchLimits.standard
            limits.matchLimit = limit
            let matcher = Matcher(limits: limits)
            var outcome = ""
            let ms = Self.milliseconds {
                outcome = "\(pattern.match(subject[...], with: matcher))".prefix(20).description
            }
            print("(a?){50}a{50} limit \(limit): \(String(format: "%.3f", ms)) ms \(outcome)")
        }
    }
}
