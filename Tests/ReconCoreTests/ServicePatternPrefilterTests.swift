import Testing

@testable import ReconCore

@Suite("Pattern prefilter")
struct ServicePatternPrefilterTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(
        "literal text read from patterns",
        arguments: [
            (#"^SSH-([\d.]+)-OpenSSH_([\w.]+)"#, false, "SSH-", ["-OpenSSH_"], true),
            (#"^220 \(vsFTPd (\d[\w.]*)\)\r?\n"#, false, "220 (vsFTPd ", [], true),
            (#"^.\x00\x00\x00\x0a5\.5\.5-"#, false, "", ["\u{0}\u{0}\u{0}\n5.5.5-"], true),
            (#"^abc+d?ef{2,3}gh"#, false, "abc", ["ef", "gh"], true),
            (#"^Hello World"#, true, "hello world", [], true),
            (#"Server: nginx"#, false, "", ["Server: nginx"], false),
            (#"^a|b"#, false, "", [], false),
            (#"(?i)^abc"#, false, "", [], false),
            (#"^x(?:a|b)yz[|]{1}"#, false, "x", ["yz"], true),
            (#"^[[:alpha:]]+abc\d"#, false, "", ["abc"], true),
            (#"^\0\0\x01MCOP\0"#, false, "\u{0}\u{0}\u{1}MCOP\u{0}", [], true),
            (#"^ab\012"#, false, "", [], true),
            (#"^a{FONT: b}c"#, false, "a{FONT: b}c", [], true),
            (#"^a{,3}bc"#, false, "", [], true),
            (#"(?i)^abc|d"#, false, "", [], false),
        ] as [(String, Bool, String, [String], Bool)])
    func literals(pattern: String, ignoresCase: Bool, prefix: String, required: [String], anchored: Bool) {
        let filter = PatternPrefilter(pattern: pattern, caseInsensitive: ignoresCase)
        #expect(filter.prefix == bytes(prefix))
        #expect(filter.requiredLiterals == required.map(bytes))
        #expect(filter.isAnchored == anchored)
    }

    @Test func admitsOnlyPossibleReplies() {
        let filter = PatternPrefilter(pattern: #"^SSH-[\d.]+-OpenSSH_"#, caseInsensitive: false)
        #expect(filter.admits(MatchSubject(bytes("SSH-2.0-OpenSSH_9.6"))))
        #expect(!filter.admits(MatchSubject(bytes("SSH-2.0-dropbear"))))
        #expect(!filter.admits(MatchSubject(bytes("220 OpenSSH_ SSH-"))))
        let folded = PatternPrefilter(pattern: "^ok SERVER", caseInsensitive: true)
        #expect(folded.admits(MatchSubject(bytes("OK Server ready"))))
    }

    /// Every rule of the shipped file, against every sample reply: the prefilter never turns
    /// away a reply its regex matches, so it changes speed only, never results.
    @Test func neverRejectsAMatch() throws {
        let rules = try ServiceIdentificationTests.rules()
        let samples =
            ServiceIdentificationTests.banners + ServiceIdentificationTests.probeReplies
            + ServiceIdentificationTests.httpReplies
        var matched = 0
        for sample in samples {
            let subject = MatchSubject(sample.bytes)
            for rule in rules.rulesByProbe.values.joined() {
                guard case .match = rule.pattern.match(subject.bytes, anchored: false) else { continue }
                matched += 1
                #expect(rule.prefilter.admits(subject), "\(sample.label): \(rule.service)")
                // An anchored prefilter lets the regex match anchored only: it must still match.
                if rule.prefilter.isAnchored {
                    guard case .match = rule.pattern.match(subject.bytes, anchored: true) else {
                        Issue.record("\(sample.label): \(rule.origin) no longer matches anchored")
                        continue
                    }
                }
            }
        }
        #expect(matched >= samples.count)
    }
}
