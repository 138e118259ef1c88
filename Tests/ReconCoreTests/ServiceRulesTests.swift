import Testing

@testable import ReconCore

@Suite("Service rules format")
struct ServiceRulesTests {
    private func rules(_ text: String) throws -> ServiceRules {
        try ServiceRules(path: "test.rules", text: text)
    }

    private func banner(_ rules: ServiceRules, _ text: String, port: UInt16 = 40000) -> ServiceMatch? {
        rules.identify(port: port, replies: [ProbeReply(probe: "banner", bytes: Array(text.utf8))], tunnel: nil)
    }

    @Test(
        "bad lines are refused with file, line and reason",
        arguments: [
            ("bogus x", 1, "unknown directive 'bogus'"),
            ("match ssh m|^SSH|", 1, "'match' before any 'probe' line"),
            ("# header\n\nprobe banner\n  \nmatch ssh m|^SSH-(|", 5, "regex does not compile"),
            ("probe x ports 70000 send q|a|", 1, "bad port list: port 70000 out of range"),
            ("probe x ports 22", 1, "custom probe 'x' needs 'send PAYLOAD'"),
            ("probe x send q|\\q|", 1, "bad escape in q payload: unknown escape '\\q'"),
            ("probe x send q|\\x4|", 1, "bad escape in q payload"),
            ("probe x send hex|0g|", 1, "bad hex payload: '0g'"),
            ("probe x send hex|012|", 1, "bad hex payload: odd number of digits"),
            ("probe x send hex|00 ff 6e 6f 6e 63 65 ff|", 1, "payload holds the bytes that stand for '\\N'"),
            ("probe x send q|a\\0\\xffnonce\\xff|", 1, "payload holds the bytes that stand for '\\N'"),
            ("probe x send text", 1, "expected a payload"),
            ("probe x send q|abc", 1, "q payload is missing its closing '|'"),
            ("probe x send q|a| send q|b|", 1, "'send' after a 'send'"),
            ("probe x send q|a| expect m|b|", 1, "the last 'expect' needs a 'send' after it"),
            ("probe x send q|a| expect m|b| expect m|c| send q|d|", 1, "'expect' after an 'expect'"),
            ("probe x expect m|a| expect m|b| send q|c|", 1, "two greetings to expect"),
            ("probe x expect |a| send q|c|", 1, "'expect' needs m|REGEX|"),
            ("probe x send q|a| expect m|(| send q|c|", 1, "regex does not compile"),
            ("probe x send q|a| expect m|b|q send q|c|", 1, "unknown regex option 'q'"),
            ("probe x expect m|a|", 1, "custom probe 'x' needs 'send PAYLOAD'"),
            ("probe banner expect m|a|", 1, "'banner' is built in"),
            (
                "probe x send q|a|" + String(repeating: " expect m|b| send q|c|", count: 9), 1,
                "more than 8 turns"
            ),
            ("probe x send q|a| extra", 1, "unexpected 'extra'"),
            ("probe x send q|a|\nprobe x send q|b|", 2, "probe 'x' is defined twice"),
            ("probe banner send q|x|", 1, "'banner' is built in"),
            ("probe http ports 80", 1, "'http' is built in"),
            ("probe", 1, "'probe' needs a name"),
            ("probe banner\nmatch ssh mxabcx", 2, "bad delimiter for the regex"),
            ("probe banner\nmatch ssh m|abc", 2, "the regex is missing its closing '|'"),
            ("probe banner\nmatch ssh |abc|", 2, "expected m|REGEX|"),
            ("probe banner\nmatch ssh m|a|x", 2, "unknown regex option 'x'"),
            ("probe banner\nmatch ssh m|a| z/b/", 2, "unknown versioninfo field"),
            ("probe banner\nmatch ssh m|a| p/b/ p/c/", 2, "field 'p' given twice"),
            ("probe banner\nmatch ssh m|a| p/b", 2, "field 'p' is missing its closing '/'"),
            ("probe banner\nmatch ssh m|(a)| v/$Q(1)/", 2, "unknown substitution '$Q'"),
            ("probe banner\nmatch ssh m|(a)| v/$P(1/", 2, "is missing its ')'"),
            ("probe banner\nmatch ssh m|(a)| v/$I(1,\"?\")/", 2, "$I takes"),
            ("probe banner\nmatch ssh m|(a)| cpe:/a:x:y/b", 2, "unknown cpe flag 'b'"),
            ("probe banner\nmatch s$h m|a|", 2, "'s$h' is not a service name"),
            ("probe banner\nmatch", 2, "expected a service name"),
            ("port 80", 1, "expected 'port PORTLIST SERVICE'"),
            ("port 80 http extra", 1, "expected 'port PORTLIST SERVICE'"),
            ("port 0 http", 1, "bad port list"),
        ])
    func badLine(text: String, line: Int, message: String) {
        #expect {
            try rules(text)
        } throws: { error in
            guard let error = error as? ServiceRulesError else { return false }
            return error.path == "test.rules" && error.line == line && error.message.contains(message)
                && error.description == "test.rules:\(line): \(error.message)" && !error.description.contains("\n")
        }
    }

    @Test func unreadableFile() {
        #expect {
            try ServiceRules(contentsOf: "/nonexistent/recon.rules")
        } throws: { error in
            guard let error = error as? ServiceRulesError else { return false }
            return error.line == 0 && error.description.hasPrefix("/nonexistent/recon.rules: cannot read")
        }
    }

    @Test(
        "payload forms",
        arguments: [
            ("q|PING\\r\\n|", Array("PING\r\n".utf8)),
            ("q/a\\/b|c/", Array("a/b|c".utf8)),
            ("q|\\|\\\\\\0\\t\\xfF|", [0x7C, 0x5C, 0x00, 0x09, 0xFF]),
            ("q|é|", [0xC3, 0xA9]),
            ("hex|00 00 00 08 04 d2 16 2f|", [0x00, 0x00, 0x00, 0x08, 0x04, 0xD2, 0x16, 0x2F]),
            ("hex|0a1B|", [0x0A, 0x1B]),
            ("frame q|ab|", [0, 0, 0, 2, 0x61, 0x62]),
            ("frame hex|ff|", [0, 0, 0, 1, 0xFF]),
            ("frame16 hex|01 02 03|", [0, 3, 1, 2, 3]),
        ] as [(String, [UInt8])])
    func payload(source: String, bytes: [UInt8]) throws {
        let probes = try rules("probe custom ports 7000 send \(source)").probes(for: 7000)
        #expect(probes == [ServiceProbe(name: "custom", payload: bytes, ports: [7000])])
    }

    @Test("\\N in a q payload: four letters drawn for each connection, the same in all its turns")
    func connectionToken() throws {
        let probe = try #require(
            try rules("probe irc ports 6667 send q|NICK r\\N\\r\\n| expect m|001| send q|WHOIS r\\N\\\\N|")
                .probes(for: 6667).first)
        let token = ProbePayload.connectionToken()
        #expect(token.count == 4 && token.allSatisfy { (0x61...0x7A).contains($0) })
        #expect(ProbePayload.personalized(probe.payload, token: token) == Array("NICK r".utf8) + token + [13, 10])
        // `\\N` is a backslash and an N, not a token.
        #expect(
            ProbePayload.personalized(probe.turns[0].send, token: token) == Array("WHOIS r".utf8) + token
                + Array("\\N".utf8))
        #expect(ProbePayload.personalized([1, 2, 3], token: token) == [1, 2, 3])
        let tokens = Set((0..<50).map { _ in ProbePayload.connectionToken() })
        #expect(tokens.count > 40, "tokens repeat: \(tokens.count) of 50 distinct")
    }

    @Test("conversations: a greeting to wait for, then expect/send turns on one connection")
    func conversations() throws {
        let rules = try rules(
            """
            probe mqtt ports 1883 send hex|10| expect m|^\\x20\\x02|s send hex|82| expect m|^\\x20\\x02..\\x90|s send q|x|
            probe smtp-ehlo ports 25 expect m|^220[ -][^\\r\\n]*ESMTP|i send q|EHLO recon\\r\\n|
            probe plain send q|\\r\\n|
            """)
        let mqtt = try #require(rules.probes(for: 1883).first)
        #expect(mqtt.name == "mqtt" && mqtt.payload == [0x10] && mqtt.greeting == nil)
        #expect(mqtt.turns.map(\.send) == [[0x82], Array("x".utf8)])
        #expect(mqtt.turns[0].expect.isMet(by: [0x20, 0x02, 0x00, 0x00]))
        #expect(!mqtt.turns[0].expect.isMet(by: [0x20, 0x03]))
        #expect(!mqtt.turns[0].expect.isMet(by: []))
        // A probe that follows a greeting is never sent to a silent port ...
        #expect(rules.probes(for: 25).map(\.name) == ["plain"])
        #expect(rules.otherProbes(for: 25).map(\.name) == ["mqtt"])
        // ... only after a greeting that meets its expectation.
        #expect(
            rules.greetingProbes(for: 2525, greeting: Array("220 mx esmtp ready\r\n".utf8)).map(\.name) == ["smtp-ehlo"]
        )
        #expect(rules.greetingProbes(for: 25, greeting: Array("220 (vsFTPd 3.0.3)\r\n".utf8)).isEmpty)
        #expect(rules.greetingProbes(for: 25, greeting: Array("SSH-2.0-x\r\n".utf8)).isEmpty)
    }

    @Test("a reply with a version beats an earlier one with only a product, which beats a bare name")
    func versionPreferred() throws {
        let rules = try rules(
            """
            probe any
            match redis m|^-ERR unknown| p/Redis/
            match redis m|^redis_version:([\\d.]+)| p/Redis/ v/$1/
            match irc m|^:\\S+ 451 |
            match irc m|^:\\S+ 002 .* ngircd-([\\d.]+)| p/ngircd/ v/$1/
            match irc m|^ngircd| p/ngircd/
            """)
        func identify(_ replies: [String]) -> ServiceMatch? {
            rules.identify(
                port: 40000, replies: replies.map { ProbeReply(probe: "x", bytes: Array($0.utf8)) }, tunnel: nil)
        }
        #expect(identify(["-ERR unknown", "redis_version:7.0.15"])?.version == "7.0.15")
        #expect(identify([":h 451 x", "ngircd"])?.product == "ngircd")
        #expect(identify([":h 451 x", ":h 002 x ngircd-26.1"])?.version == "26.1")
        #expect(identify([":h 451 x", "nothing"]).map { $0.name == "irc" && $0.product == nil } == true)
    }

    @Test func probeOrder() throws {
        let rules = try rules(
            """
            probe banner
            probe generic send q|\\r\\n|
            probe redis ports 6379,6380 send q|PING\\r\\n|
            probe second-generic send q|x|
            probe memcached ports 11211-11212 send q|version\\r\\n|
            probe http
            """)
        #expect(rules.probes(for: 6380).map(\.name) == ["redis", "generic", "second-generic"])
        #expect(rules.probes(for: 11212).map(\.name) == ["memcached", "generic", "second-generic"])
        #expect(rules.probes(for: 80).map(\.name) == ["generic", "second-generic"])
        #expect(rules.otherProbes(for: 6379).map(\.name) == ["memcached"])
        #expect(rules.otherProbes(for: 80).map(\.name) == ["redis", "memcached"])
        #expect(rules.hasPortSpecificProbe(for: 6379))
        #expect(!rules.hasPortSpecificProbe(for: 80))
        #expect(rules.probeCount == 4)
        #expect(rules.matchCount == 0)
    }

    @Test func versionInfoSubstitutions() throws {
        let rules = try rules(
            #"""
            probe banner
            match demo m|^DEMO (\S+) (\S+) ([^\r]*)\r\n(..)|s p/$P(3)/ v/$SUBST(1,"_",".")/ i/n=$I(4,">") le=$I(4,"<") $ sign/ h/$2/ o/$9/ cpe:/a:demo:demo:$SUBST(1,"_",".")/ cpe:/a:demo:other:$9/a
            """#)
        let reply = Array("DEMO 1_2_3 host.example A\u{01}B\r\n".utf8) + [0x01, 0x02]
        let match = try #require(
            rules.identify(port: 1, replies: [ProbeReply(probe: "banner", bytes: reply)], tunnel: nil))
        #expect(match.name == "demo")
        #expect(match.product == "AB")
        #expect(match.version == "1.2.3")
        #expect(match.info == "n=258 le=513 $ sign")
        #expect(match.hostname == "host.example")
        #expect(match.os == nil)
        #expect(match.cpe == ["cpe:/a:demo:demo:1.2.3", "cpe:/a:demo:other"])
    }

    @Test func regexOptions() throws {
        let rules = try rules(
            """
            probe banner
            match strict m|^hello.world|
            match folded m|^HELLO.WORLD|is
            """)
        #expect(banner(rules, "hello world")?.name == "strict")
        #expect(banner(rules, "Hello\nWorld")?.name == "folded")
        #expect(banner(rules, "Hello World")?.name == "folded")
        #expect(banner(rules, "goodbye") == nil)
    }

    @Test("binary replies match byte by byte (one character per byte)")
    func binaryReplies() throws {
        let rules = try rules(
            #"""
            probe banner
            match binary m|^\xff\x00\r\n(.)(.)|s p/$1/ v/$2/
            match split m|^SPLIT\r(.)|s p/$1/
            """#)
        let reply = ProbeReply(probe: "banner", bytes: [0xFF, 0x00, 0x0D, 0x0A, 0xE9, 0x07])
        let match = try #require(rules.identify(port: 1, replies: [reply], tunnel: nil))
        #expect(match.product == "é")
        #expect(match.version == "\\x07")
        // "\r\n" is two characters (two bytes).
        #expect(banner(rules, "SPLIT\r\n")?.product == "\\x0a")
    }

    @Test("character classes follow PCRE's rules, as nmap's patterns expect")
    func pcreCharacterClasses() throws {
        let rules = try rules(
            #"""
            probe banner
            match bracket m|^\[([^]]+)\]| p/$1/
            match open m|^[[]x|
            match amp m|^[a&&b]{2}|
            match posix m|^[[:digit:]]+!|
            softmatch soft m|^soft (\S+)| p/$1/
            """#)
        #expect(banner(rules, "[abc]")?.product == "abc")
        #expect(banner(rules, "[x")?.name == "open")
        #expect(banner(rules, "&&")?.name == "amp")
        #expect(banner(rules, "42!")?.name == "posix")
        let soft = try #require(banner(rules, "soft thing"))
        #expect(soft.product == "thing")
        #expect(soft.confidence == 5)
    }

    @Test func commentsAndSpecialCharacters() throws {
        let rules = try rules(
            """
            # a comment
            probe banner   # a section
            match shebang m|^#!| p/script/   # trailing comment
            \tmatch ssl/thing m|^TLS| p/x # y/
            port 1-2,5 tcpmux
            port 2 other
            """)
        #expect(banner(rules, "#!/bin/sh")?.product == "script")
        let tls = try #require(banner(rules, "TLS"))
        #expect(tls.product == "x # y")
        #expect(tls.tunnel == .ssl)
        #expect(rules.portTableName(for: 2) == "tcpmux")
        #expect(rules.portTableName(for: 5) == "tcpmux")
        #expect(rules.portTableName(for: 3) == nil)
    }

    @Test("hard match beats softmatch; the earlier reply wins among equals; the port table comes last")
    func precedence() throws {
        let rules = try rules(
            """
            probe banner
            softmatch maybe m|^\\* OK|
            match first m|^ONE|
            probe any
            match second m|^TWO|
            match third m|^THREE|
            softmatch late-soft m|^LATE|
            port 22 ssh
            """)
        func identify(_ replies: [(String, String)], port: UInt16 = 40000, tunnel: Tunnel? = nil) -> ServiceMatch? {
            rules.identify(
                port: port, replies: replies.map { ProbeReply(probe: $0.0, bytes: Array($0.1.utf8)) }, tunnel: tunnel)
        }
        #expect(identify([("banner", "* OK"), ("x", "TWO")])?.name == "second")
        #expect(identify([("x", "THREE"), ("banner", "ONE")])?.name == "third")
        #expect(identify([("banner", "ONE"), ("x", "TWO")])?.name == "first")
        let soft = try #require(identify([("banner", "* OK"), ("x", "LATE"), ("x", "nothing")], port: 22))
        #expect(soft.name == "maybe")
        #expect(soft.confidence == 5)
        #expect(soft.method == .banner)
        let table = try #require(identify([("banner", "nothing")], port: 22, tunnel: .ssl))
        #expect(table == ServiceMatch(name: "ssh", method: .portTable, confidence: 3, tunnel: .ssl))
        #expect(identify([], port: 22)?.method == .portTable)
        #expect(identify([("banner", "nothing")]) == nil)
        #expect(identify([("x", "TWO")], tunnel: .ssl)?.tunnel == .ssl)
        #expect(identify([("x", "TWO")])?.method == .probe)
    }

    @Test("merging keeps the first rules' answers and adds the second's")
    func merging() throws {
        let first = try rules(
            """
            probe banner
            match one m|^A|
            probe shared ports 1 send q|first|
            port 80 www
            """)
        let second = try rules(
            """
            probe banner
            match two m|^A|
            match three m|^B|
            probe shared send q|second|
            probe extra send q|x|
            port 80 http
            port 81 hosts2-ns
            """)
        let merged = first.merging(second)
        #expect(banner(merged, "A")?.name == "one")
        #expect(banner(merged, "B")?.name == "three")
        #expect(merged.portTableName(for: 80) == "www")
        #expect(merged.portTableName(for: 81) == "hosts2-ns")
        #expect(merged.probes(for: 1).map(\.payload) == [Array("first".utf8), Array("x".utf8)])
        #expect(merged.matchCount == 3)
        #expect(merged.probeCount == 2)
    }

    @Test func matchJSONLeavesOutEmptyFields() throws {
        let json = JSONRendering()
        let bare = ServiceMatch(name: "ssh", method: .portTable, confidence: 3)
        #expect(
            String(decoding: try json.line(bare), as: UTF8.self)
                == #"{"confidence":3,"method":"port-table","name":"ssh"}"# + "\n")
        let full = ServiceMatch(
            name: "ssh", product: "OpenSSH", version: "9.2p1", info: "protocol 2.0", hostname: "h", os: "Linux",
            device: "router", cpe: ["cpe:/a:openbsd:openssh:9.2p1"], method: .banner, confidence: 10,
            probe: "banner", tunnel: .ssl)
        let text = String(decoding: try json.line(full), as: UTF8.self)
        for key in ["product", "version", "info", "hostname", "os", "device", "cpe", "probe", "tunnel"] {
            #expect(text.contains("\"\(key)\":"), "\(key)")
        }
    }
}
