import ReconTestSupport
import Testing

@testable import ReconCore

/// The shipped rules (services.rules and audit.rules) stay linear on replies that make a
/// backtracking regex run for minutes: anchors, possessive quantifiers, atomic groups and
/// bounded repeats where a rule would otherwise rescan a run of text from every start.
@Suite("Shipped rules on hostile replies")
struct ShippedRulesHostileTests {
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private static func repeated(_ text: String, _ length: Int) -> [UInt8] {
        let unit = Array(text.utf8)
        return (0..<length).map { unit[$0 % unit.count] }
    }

    /// Replies on which a backtracking regex goes quadratic or worse, each 16 KiB unless the
    /// hostile service they stand for sends less.
    static let hostileInputs: [(String, [UInt8])] = [
        ("60 KB a.a.a.", repeated("a.", 60_000)),
        ("Server at x6000", Array(String(repeating: "Server at ", count: 6000).utf8)),
        ("4 KB a-a-a-", repeated("a-", 4095) + bytes("\r\n")),
        ("a-a-a-", repeated("a-", 16384)),
        ("1.1.1.", repeated("1.", 16384)),
        ("1111", repeated("1", 16384)),
        ("spaces", repeated(" ", 16384)),
        ("(((((", repeated("(", 16384)),
        ("NUL bytes", [UInt8](repeating: 0, count: 16384)),
        ("0xff bytes", [UInt8](repeating: 0xFF, count: 16384)),
        ("aaaa", repeated("a", 16384)),
        ("a_a_a_", repeated("a_", 16384)),
        ("a/a/a/", repeated("a/", 16384)),
        ("a a a ", repeated("a ", 16384)),
        ("a1.a1.", repeated("a1.", 16384)),
        ("a/1.a/1.", repeated("a/1.", 16384)),
        ("v1.1v1.1", repeated("v1.1", 16384)),
        ("lines a\\n", repeated("a\n", 16384)),
        ("lines a\\r\\n", repeated("a\r\n", 16384)),
        ("header lines", bytes("HTTP/1.1 200 OK\r\n") + repeated("X-A: b\r\n", 16000)),
        ("<address>", repeated("<address>", 16384)),
        ("<address>Apache/1", repeated("<address>Apache/1", 16384)),
        ("(Debian", repeated("(Debian", 16384)),
        ("Debian ", repeated("Debian ", 16384)),
        ("Powered by a", repeated("Powered by a", 16384)),
        ("SSH-2.0-", repeated("SSH-2.0-", 16384)),
        ("running version ", repeated("running version ", 16384)),
        ("\\x08ismaster\\x00", repeated("\u{8}ismaster\u{0}", 16384)),
        ("\\x07productS", repeated("\u{7}productS", 16384)),
        (":a 002 b :Your host is a", repeated(":a 002 b :Your host is a", 16384)),
    ]

    /// The same, each also ending in text that defeats PCRE2's quick rejections (a version
    /// number, a line end, a NUL, a closing parenthesis and the literals rules look for).
    static let hostileSubjects: [(String, [UInt8])] = hostileInputs.flatMap { name, input in
        [
            (name, input),
            (
                name + " + tail",
                Array(input.prefix(16 * 1024 - 160))
                    + bytes(
                        " 1.1 v1.1/1.1 (1.1) ) Server at 1.1 , running version ngircd-1 UnrealIRCd-1 InspIRCd-1 "
                            + "MariaDB \u{0}\r\n\n")
            ),
        ]
    }

    /// Every rule of both shipped files, on every hostile subject (also after the rule's literal
    /// prefix, so that anchored rules get past their start), compiled to machine code and
    /// interpreted: none reaches the standard limits, each match takes well under 50 ms (at
    /// most about 1.5 ms interpreted and 0.2 ms with JIT when measured).
    @Test func shippedRulesStayFastOnHostileInput() throws {
        let services = try ServiceIdentificationTests.rules()
        let audit = try AuditRulesTests.shipped()
        let patterns =
            services.rulesByProbe.values.joined().map { ($0.origin, $0.pattern) }
            + audit.rules.map { ($0.id, $0.pattern) }
        #expect(patterns.count > 150)
        let matcher = Matcher(limits: .standard)
        var slowest: (Duration, String) = (.zero, "")
        for (label, compiled) in patterns {
            let interpreted = try CompiledPattern(
                compiled.source, ignoresCase: compiled.ignoresCase, dotAll: compiled.dotAll, jit: false)
            let prefix = PatternPrefilter(pattern: compiled.source, caseInsensitive: compiled.ignoresCase).prefix
            for (name, input) in Self.hostileSubjects {
                for subject in prefix.isEmpty ? [input] : [input, prefix + input] {
                    let capped = subject.prefix(ServiceRules.matchedReplyLimit)
                    for pattern in [compiled, interpreted] {
                        let start = ContinuousClock.now
                        let outcome = pattern.match(capped, with: matcher)
                        let elapsed = ContinuousClock.now - start
                        let what = "\(label) on \(name)\(subject.count > input.count ? " after its prefix" : "")"
                        if case .limitExceeded = outcome { Issue.record("\(what) reached the limits") }
                        if elapsed > slowest.0 { slowest = (elapsed, what) }
                    }
                }
            }
        }
        #expect(slowest.0 < .milliseconds(50), "slowest: \(slowest.1), \(slowest.0)")
    }

    @Test func shippedRulesAreJITCompiled() throws {
        let services = try ServiceIdentificationTests.rules()
        let audit = try AuditRulesTests.shipped()
        let interpreted =
            services.rulesByProbe.values.joined().filter { !$0.pattern.isJITCompiled }.map(\.origin)
            + audit.rules.filter { !$0.pattern.isJITCompiled }.map(\.id)
        #expect(interpreted.isEmpty)
    }
}
