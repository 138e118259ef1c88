import Testing

@testable import ReconCore

@Suite("nmap-service-probes format")
struct ServiceNmapProbesTests {
    /// A hand-written excerpt in nmap's syntax (not nmap's own file).
    static let excerpt = #"""
        # Service probes in nmap's format, written for recon's tests.
        Exclude T:9100-9107

        Probe TCP NULL q||
        totalwaittime 6000
        tcpwrappedms 3000
        match ftp m|^220 Welcome to ExampleFTP v([\d.]+)\r\n| p/ExampleFTP/ v/$1/ cpe:/a:example:exampleftp:$1/a
        match ssh m=^SSH-2\.0-Example_(\S+)\r?\n= p/Example sshd/ v/$1/ o/Unix/
        match lookbehind m|(?<=x)y| p/PCRE2 has lookbehind/
        match unbounded-lookbehind m|(?<=x+)y| p/PCRE2 cannot compile this/
        softmatch ftp m|^220[- ]|

        Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n|
        rarity 1
        ports 1,70,79-85,8080
        sslports 443
        match http m|^HTTP/1\.[01] \d\d\d .*\r\nServer: ExampleHTTPd/([\d.]+)\r\n|s p/ExampleHTTPd/ v/$1/ i/$SUBST(1,".","_")/

        Probe TCP GenericLines q|\r\n\r\n|
        match other m|^OTHER| p/not kept: another probe/
        Probe UDP DNSStatusRequest q|\0\0\x10\0\0\0\0\0\0\0\0\0|
        match domain m|^\0\0\x90| p/not kept: UDP/
        fallback GetRequest
        """#

    private func identify(_ rules: ServiceRules, _ probe: String, _ text: String) -> ServiceMatch? {
        rules.identify(port: 40000, replies: [ProbeReply(probe: probe, bytes: Array(text.utf8))], tunnel: nil)
    }

    @Test func keepsNullAndGetRequestMatches() throws {
        let rules = try ServiceRules.nmapServiceProbes(path: "nmap-excerpt", text: Self.excerpt)
        #expect(rules.matchCount == 5)
        #expect(rules.skippedMatchCount == 1)
        #expect(rules.probeCount == 0)
        #expect(rules.probes(for: 80).isEmpty)

        let ftp = try #require(identify(rules, "banner", "220 Welcome to ExampleFTP v1.2\r\n"))
        #expect(ftp.product == "ExampleFTP")
        #expect(ftp.version == "1.2")
        #expect(ftp.cpe == ["cpe:/a:example:exampleftp:1.2"])
        #expect(identify(rules, "banner", "SSH-2.0-Example_0.9\r\n")?.os == "Unix")
        let soft = try #require(identify(rules, "banner", "220-something else\r\n"))
        #expect(soft.name == "ftp")
        #expect(soft.confidence == 5)

        let http = try #require(
            identify(rules, "http", "HTTP/1.1 200 OK\r\nDate: today\r\nServer: ExampleHTTPd/2.5\r\n\r\n"))
        #expect(http.product == "ExampleHTTPd")
        #expect(http.info == "2_5")
        #expect(identify(rules, "generic-lines", "OTHER") == nil)
        #expect(identify(rules, "banner", "OTHER") == nil)
        #expect(identify(rules, "banner", "<xy>")?.product == "PCRE2 has lookbehind")
    }

    @Test("merged after recon's rules, nmap's only add what recon's do not know")
    func mergedAfterReconRules() throws {
        let recon = try ServiceRules(path: "recon", text: "probe banner\nmatch ssh m|^SSH-| p/recon/")
        let nmap = try ServiceRules.nmapServiceProbes(path: "nmap-excerpt", text: Self.excerpt)
        let merged = recon.merging(nmap)
        #expect(identify(merged, "banner", "SSH-2.0-Example_0.9\r\n")?.product == "recon")
        #expect(identify(merged, "banner", "220 Welcome to ExampleFTP v1.2\r\n")?.product == "ExampleFTP")
        #expect(merged.skippedMatchCount == 1)
    }

    @Test(
        "files that are not nmap's format are refused",
        arguments: [
            ("# recon's format has no Probe lines\nport 22 ssh\n", 0, "no 'Probe' line"),
            ("match ssh m|^SSH|\nProbe TCP NULL q||", 1, "'match' before any Probe line"),
            ("Probe SCTP NULL q||", 1, "expected 'Probe TCP|UDP NAME"),
        ])
    func refused(text: String, line: Int, message: String) {
        #expect {
            try ServiceRules.nmapServiceProbes(path: "bad", text: text)
        } throws: { error in
            guard let error = error as? ServiceRulesError else { return false }
            return error.line == line && error.message.contains(message)
        }
    }
}
