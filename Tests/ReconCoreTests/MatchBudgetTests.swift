import ReconTestSupport
import Testing

@testable import ReconCore

/// Every regex match is bounded: PCRE2's limits stop a runaway match (reported, never a
/// match), places are capped, a port's matching has a time budget, and a stop request ends it.
@Suite("Bounded matching")
struct MatchBudgetTests {
    // MARK: - Limits

    @Test("a user rule (a?){50}a{50} on a x 50 stops at the limit, quickly, JIT or not", arguments: [true, false])
    func exponentialRuleStops(jit: Bool) throws {
        let pattern = try CompiledPattern("(a?){50}a{50}", ignoresCase: false, dotAll: false, jit: jit)
        #expect(pattern.isJITCompiled == jit)
        let subject = [UInt8](repeating: UInt8(ascii: "a"), count: 50)
        let start = ContinuousClock.now
        let outcome = pattern.match(subject[...], with: Matcher(limits: .standard))
        let elapsed = ContinuousClock.now - start
        guard case .limitExceeded = outcome else {
            Issue.record("expected the limit, got \(outcome)")
            return
        }
        #expect(elapsed < (jit ? .milliseconds(50) : .milliseconds(1000)), "\(elapsed)")
    }

    @Test func deepNestingStopsAtTheDepthOrStackLimit() throws {
        var limits = MatchLimits.standard
        limits.matchLimit = .max
        let subject = [UInt8](repeating: UInt8(ascii: "a"), count: 16384) + [UInt8(ascii: "d")]
        for jit in [true, false] {
            let pattern = try CompiledPattern("^(?:(a)|b)*d", ignoresCase: false, dotAll: false, jit: jit)
            let small = MatchLimits(matchLimit: .max, depthLimit: 100, heapLimitKiB: 64, jitStackBytes: 4096)
            guard case .limitExceeded = pattern.match(subject[...], with: Matcher(limits: small)) else {
                Issue.record("jit \(jit): expected a limit")
                continue
            }
            guard case .match = pattern.match(subject[...], with: Matcher(limits: limits)) else {
                Issue.record("jit \(jit): the standard limits allow 16 KiB of nesting")
                continue
            }
        }
    }

    // MARK: - Bytes, offsets and options

    @Test func capturesAndOffsetsAreBytes() throws {
        let pattern = try CompiledPattern(#"\x00(\xff+)(x)?\x01(.)"#, ignoresCase: false, dotAll: false)
        let subject: [UInt8] = [0x41, 0xE9, 0x00, 0xFF, 0xFF, 0x01, 0xC3, 0x0A]
        guard case .match(let range, let captures) = pattern.match(subject) else {
            Issue.record("no match")
            return
        }
        #expect(range == 2..<7)
        #expect(captures.count == 4)
        #expect(captures[0] == [0x00, 0xFF, 0xFF, 0x01, 0xC3])
        #expect(captures[1] == [0xFF, 0xFF])
        #expect(captures[2] == nil)
        #expect(captures[3] == [0xC3])
        // A slice keeps its own offsets: the range is relative to the slice's start.
        guard case .match(let sliced, _) = pattern.match(subject[1...], with: Matcher(limits: .standard)) else {
            Issue.record("no match in the slice")
            return
        }
        #expect(sliced == 1..<6)
    }

    @Test func optionsAndAnchoring() throws {
        let plain = try CompiledPattern("^hello.world", ignoresCase: false, dotAll: false)
        let folded = try CompiledPattern("^HELLO.WORLD", ignoresCase: true, dotAll: true)
        func matches(_ pattern: CompiledPattern, _ text: String, anchored: Bool = false) -> Bool {
            if case .match = pattern.match(Array(text.utf8), anchored: anchored) { return true }
            return false
        }
        #expect(matches(plain, "hello world"))
        #expect(!matches(plain, "Hello world"))
        #expect(!matches(plain, "hello\nworld"))
        #expect(matches(folded, "Hello\nWorld"))
        let unanchored = try CompiledPattern("world", ignoresCase: false, dotAll: false)
        #expect(matches(unanchored, "hello world"))
        #expect(!matches(unanchored, "hello world", anchored: true))
        // Non-ASCII text in a pattern stands for its UTF-8 bytes; \w is ASCII only.
        let accented = try CompiledPattern("Océ (\\w+)", ignoresCase: false, dotAll: false)
        guard case .match(_, let captures) = accented.match(Array("Océ ColorWave".utf8)) else {
            Issue.record("no match")
            return
        }
        #expect(captures[1] == Array("ColorWave".utf8))
        #expect(!matches(try CompiledPattern("^\\w$", ignoresCase: false, dotAll: false), "é"))
    }

    @Test func compileErrorsNameTheOffset() {
        #expect {
            _ = try CompiledPattern("ab(c", ignoresCase: false, dotAll: false)
        } throws: { error in
            (error as? RuleLineError)?.message == "regex does not compile: missing closing parenthesis at offset 4"
        }
    }

    // MARK: - Budgets through identification and the audit

    private static let slowRules = #"""
        probe banner
        match slow m|(a?){50}a{50}| p/never/
        match fine m|^a+\r\n| p/fine/
        """#

    @Test func identificationReportsARuleOverItsBudgetAndGoesOn() throws {
        let rules = try ServiceRules(path: "slow.rules", text: Self.slowRules)
        var budget = MatchBudget()
        let reply = ProbeReply(probe: "banner", bytes: Array(String(repeating: "a", count: 50).utf8) + [0x0D, 0x0A])
        let found = rules.identify(port: 4000, replies: [reply], tunnel: nil, budget: &budget)
        #expect(found.match?.product == "fine")
        #expect(!found.cutShort)
        #expect(
            found.diagnostics == [
                MatchDiagnostic(stage: .service, cause: .ruleLimit, rule: "slow.rules:2", place: "banner", port: 4000)
            ])
        var diagnostic = try #require(found.diagnostics.first)
        diagnostic.host = "::1"
        #expect(
            diagnostic.description
                == "service rule slow.rules:2 exceeded its matching budget at [::1]:4000 (banner); skipped")
        #expect(budget.remaining < budget.total)
    }

    @Test func identificationStopsWhenTimeIsSpentOrAStopIsAsked() throws {
        let rules = try ServiceRules(path: "slow.rules", text: Self.slowRules + "\nport 4000 demo")
        let reply = ProbeReply(probe: "banner", bytes: Array("aaa\r\n".utf8))
        var spent = MatchBudget(nanoseconds: 0)
        let late = rules.identify(port: 4000, replies: [reply], tunnel: nil, budget: &spent)
        #expect(late.cutShort)
        #expect(late.match?.method == .portTable)
        #expect(late.diagnostics.map(\.cause) == [.portTime])
        var stopping = MatchBudget(shouldStop: { true })
        let stopped = rules.identify(port: 4000, replies: [reply], tunnel: nil, budget: &stopping)
        #expect(stopped.stopped)
        #expect(stopped.diagnostics.isEmpty)
    }

    private static func userRules(_ match: String) throws -> AuditRules {
        let user = try AuditRules(
            path: "user.rules",
            text: """
                rule slow
                  severity low
                  inspect banner
                  match m|\(match)|
                  title slow
                  remediation none
                """)
        return user.merging(try AuditRulesTests.shipped())
    }

    @Test func auditReportsARuleOverItsBudgetOnceAndKeepsTheOtherFindings() throws {
        let auditor = Auditor(rules: try Self.userRules("(a?){50}a{50}"))
        var service = PortService()
        service.banner = CapturedBytes(
            Array((String(repeating: "a", count: 50) + " Foo/1.2\r\n").utf8), truncated: false)
        var budget = MatchBudget()
        let outcome = auditor.audit(host: "127.0.0.1", hostname: nil, port: 4242, service: service, budget: &budget)
        #expect(outcome.findings.map(\.rule) == ["greeting-version"])
        #expect(
            outcome.diagnostics.map(\.description) == [
                "audit rule slow exceeded its matching budget at 127.0.0.1:4242 (banner); skipped"
            ])
        #expect(!outcome.stopped)
    }

    @Test func auditEndsWhenTimeIsSpentOrAStopIsAsked() throws {
        let auditor = Auditor(rules: try AuditRulesTests.shipped())
        var service = PortService()
        service.banner = CapturedBytes(Array("220 mail ESMTP Exim 4.96\r\n".utf8), truncated: false)
        var spent = MatchBudget(nanoseconds: 0)
        let late = auditor.audit(host: "127.0.0.1", hostname: nil, port: 25, service: service, budget: &spent)
        #expect(late.findings.isEmpty)
        #expect(late.diagnostics.count == 1)
        #expect(late.diagnostics.first?.cause == .portTime)
        #expect(
            late.diagnostics.first?.description
                == "audit matching at 127.0.0.1:25 ran out of time at audit rule openssh-distribution (banner); "
                + "it and later rules skipped")
        var stopping = MatchBudget(shouldStop: { true })
        let stopped = auditor.audit(host: "127.0.0.1", hostname: nil, port: 25, service: service, budget: &stopping)
        #expect(stopped.stopped)
        #expect(stopped.findings.isEmpty && stopped.diagnostics.isEmpty)
    }

    @Test func placesAreCapped() {
        let head = "HTTP/1.1 404 Not Found\r\nServer: " + String(repeating: "a.", count: 30000) + "\r\n\r\n"
        let page = String(repeating: "Server at ", count: 6000)
        var service = PortService()
        service.probes = [
            ProbeExchange(
                probe: AuditRequest.errorPageProbe, reply: CapturedBytes(Array((head + page).utf8), truncated: false),
                ended: .closed)
        ]
        let places = InspectedText.all(in: service)
        let header = places.first { $0.place == .httpHeader("Server") }
        let body = places.first { $0.place == .httpErrorPage }
        #expect(header?.text.count == InspectedText.fieldCap)
        #expect(body?.text.count == InspectedText.bodyCap)
        #expect(header?.text.first == UInt8(ascii: "a"))
    }
}
