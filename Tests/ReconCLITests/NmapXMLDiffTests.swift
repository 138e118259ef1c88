import Foundation
import Glibc
import ReconCore
import ReconTestSupport
import Testing

@testable import ReconNmapXML

/// nmap XML as a `recon diff` operand: recon's own XML reads back as its JSON does, a change
/// shows the same from XML, JSON or both, real nmap's XML compares with recon's, and hostile or
/// foreign XML is refused in one line (exit 2) without being expanded or followed.
@Suite("NmapXMLDiff: nmap XML as a diff operand")
struct NmapXMLDiffTests {
    /// A new temporary folder, removed by the caller.
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "recon-xmldiff-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func diff(_ old: String, _ new: String) throws -> (result: CommandResult, diff: ScanDiff?) {
        let result = try CommandRunner.recon(["diff", old, new, "--format", "json"])
        return (result, try? JSONDecoder().decode(ScanDiff.self, from: Data(result.stdout.utf8)))
    }

    /// A port as the diff sees it, whatever the file's format: state, reason, service and banner.
    static func portView(_ host: HostReport, _ port: Int) -> String {
        guard let entry = host.ports.first(where: { $0.port == port }) else {
            return host.closed?.ports.contains(UInt16(port)) == true ? "closed conn-refused" : "unlisted"
        }
        let service = entry.service.map { "\($0.name) \($0.product ?? "-") \($0.version ?? "-")" } ?? "no service"
        return "\(entry.state.rawValue) \(entry.reason.rawValue) \(service) \(entry.banner?.text ?? "no banner")"
    }

    /// One scan written as JSON and as XML (`-oA`): the two files are the same scan, so `recon diff`
    /// finds nothing and the XML decodes port by port into what the JSON says.
    @Test func oneScanInBothFormatsHasNoChanges() throws {
        let services = try HostileServices(["banner", "webapp"])
        let listening = TestSocket()
        let closed = TestSocket(listening: false)
        let ports = services.portList(["banner", "webapp"]) + ",\(listening.port),\(closed.port),1-40"
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let scan = try CommandRunner.recon(["scan", "--banner", "127.0.0.1", ports, "-oA", "\(folder)/scan"])
        #expect(scan.status == 0, "\(scan.stderr)")

        let (result, diff) = try Self.diff("\(folder)/scan.json", "\(folder)/scan.xml")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(diff?.changes == [] && diff?.notCompared == [])
        #expect(diff?.new.schema == "nmap-xml" && diff?.old.schema == "recon-scan/2")
        #expect(
            try CommandRunner.schemaViolation(json: result.stdout, schema: "schema/recon-diff-v1.schema.json") == nil)

        let json = try ReportFile.read("\(folder)/scan.json", decoders: [ReconJSONDecoder()])
        let xml = try ReportFile.read("\(folder)/scan.xml", decoders: ReportFormats.all)
        #expect(xml.findings == nil)
        #expect(xml.run.ports == json.run.ports && xml.run.complete && xml.run.tool == "recon")
        #expect(xml.run.started.prefix(19) == json.run.started.prefix(19))
        let (jsonHost, xmlHost) = (try #require(json.hosts.first), try #require(xml.hosts.first))
        #expect(xmlHost.address == "127.0.0.1" && xmlHost.family == "ipv4")
        #expect(xmlHost.closed?.ports == jsonHost.closed?.ports && xmlHost.closed?.reasons == jsonHost.closed?.reasons)
        #expect(xmlHost.summary == jsonHost.summary)
        let portNumbers = try PortList(parsing: ports).ports.map(Int.init)
        for port in portNumbers {
            #expect(Self.portView(xmlHost, port) == Self.portView(jsonHost, port), "port \(port)")
        }
        // The check is not empty: the SSH banner, its identification and the closed ports came through.
        let banner = Int(try #require(services.ports["banner"]))
        #expect(Self.portView(xmlHost, banner).hasPrefix("open syn-ack ssh OpenSSH 9.2p1 SSH-2.0-OpenSSH_9.2p1"))
        #expect(xmlHost.ports.first { $0.port == banner }?.banner?.bytes.suffix(2) == [0x0D, 0x0A])
        #expect(Self.portView(xmlHost, Int(closed.port)) == "closed conn-refused")
    }

    /// Two recon scans around a change (one listener closed, one opened), each written as JSON and
    /// XML: XML against XML, JSON against XML and XML against JSON give exactly the JSON diff's changes.
    @Test func aChangeReadsTheSameFromXMLAndJSON() throws {
        let staying = TestSocket()
        var leaving: TestSocket? = TestSocket()
        let opening = TestSocket(listening: false)
        let gone = leaving!.port
        let ports = "\(staying.port),\(gone),\(opening.port),1-40"
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try CommandRunner.recon(["scan", "127.0.0.1", ports, "-oA", "\(folder)/a"]).status == 0)
        leaving = nil  // closes the listener
        #expect(listen(opening.fd, 16) == 0)
        #expect(try CommandRunner.recon(["scan", "127.0.0.1", ports, "-oA", "\(folder)/b"]).status == 0)

        let expected = [(gone, "port-closed"), (opening.port, "port-opened")].sorted { $0.0 < $1.0 }
            .map { "\($0.1) 127.0.0.1:\($0.0)" }
        let (jsonResult, jsonDiff) = try Self.diff("\(folder)/a.json", "\(folder)/b.json")
        #expect(jsonResult.status == 7)
        let reference = try #require(jsonDiff)
        #expect(reference.changes.map { "\($0.kind.rawValue) \($0.host):\($0.port)" } == expected)
        for (old, new) in [("a.xml", "b.xml"), ("a.json", "b.xml"), ("a.xml", "b.json")] {
            let (result, diff) = try Self.diff("\(folder)/\(old)", "\(folder)/\(new)")
            #expect(result.status == 7, "\(old) \(new): \(result.stderr)")
            #expect(diff?.changes == reference.changes, "\(old) \(new)")
            #expect(diff?.notCompared == [] && diff?.findingsCompared == false, "\(old) \(new)")
        }
        let table = try CommandRunner.recon(["diff", "\(folder)/a.xml", "\(folder)/b.xml"])
        #expect(table.stdout.contains("-\(gone)/tcp"), "\(table.stdout)")
        #expect(table.stdout.hasSuffix("2 changes: 1 opened, 1 closed\n"), "\(table.stdout)")
        #expect(try CommandRunner.recon(["diff", "\(folder)/b.xml", "\(folder)/b.json"]).status == 0)
    }

    /// Real nmap (`-sT -Pn -n`, only ever 127.0.0.1) before and after a change: its two files
    /// differ by exactly the change, and each compares equal with recon's scan of the same moment
    /// (states, reasons and coverage; nmap without -sV names services from its port table, which
    /// is not compared with a recon scan that probed nothing).
    @Test func realNmapXMLComparesWithItselfAndWithRecon() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/nmap"), "Tests/install-deps.sh installs nmap")
        let staying = TestSocket()
        var leaving: TestSocket? = TestSocket()
        let opening = TestSocket(listening: false)
        let gone = leaving!.port
        let ports = "1-40,\(staying.port),\(gone),\(opening.port)"
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func scan(_ name: String) throws {
            let nmap = try CommandRunner.run(
                "/usr/bin/nmap", ["-sT", "-Pn", "-n", "-p", ports, "127.0.0.1", "-oX", "\(folder)/\(name).xml"],
                timeout: 120)
            #expect(nmap.status == 0, "\(nmap.stderr)")
            let recon = try CommandRunner.recon([
                "scan", "127.0.0.1", ports, "--format", "json", "-o", "\(folder)/\(name).json",
            ])
            #expect(recon.status == 0, "\(recon.stderr)")
        }
        try scan("before")
        leaving = nil
        #expect(listen(opening.fd, 16) == 0)
        try scan("after")

        let expected = [(gone, "port-closed"), (opening.port, "port-opened")].sorted { $0.0 < $1.0 }
            .map { "\($0.1) 127.0.0.1:\($0.0)" }
        let (nmapResult, nmapDiff) = try Self.diff("\(folder)/before.xml", "\(folder)/after.xml")
        #expect(nmapResult.status == 7, "\(nmapResult.stdout)\(nmapResult.stderr)")
        #expect(nmapDiff?.changes.map { "\($0.kind.rawValue) \($0.host):\($0.port)" } == expected)
        #expect(nmapDiff?.notCompared == [] && nmapDiff?.old.schema == "nmap-xml")
        #expect(nmapDiff?.changes.first?.new?.reason != nil)
        for moment in ["before", "after"] {
            let (result, diff) = try Self.diff("\(folder)/\(moment).xml", "\(folder)/\(moment).json")
            #expect(result.status == 0, "\(moment): \(result.stdout)")
            #expect(diff?.notCompared == [], "\(moment)")
        }
        let (mixed, mixedDiff) = try Self.diff("\(folder)/before.xml", "\(folder)/after.json")
        #expect(mixed.status == 7)
        // States only: nmap without -sV names services from its port table, recon probed nothing.
        func states(_ diff: ScanDiff?) -> [String] {
            (diff?.changes ?? []).map {
                "\($0.kind.rawValue) \($0.port) \($0.old?.state ?? "-")>\($0.new?.state ?? "-")"
            }
        }
        #expect(states(mixedDiff) == states(nmapDiff) && states(mixedDiff).count == 2)
        // nmap's file really was read: its run, the closed ports it collapsed and the listed ones.
        let report = try ReportFile.read("\(folder)/after.xml", decoders: ReportFormats.all)
        #expect(report.run.tool == "nmap" && report.run.complete && report.run.arguments.first == "-sT")
        let host = try #require(report.hosts.first)
        #expect(host.ports.first { $0.port == Int(opening.port) }?.state == .open)
        #expect(host.summary.scanned == 43)
    }

    /// Foreign, broken and hostile XML: one line, exit 2, fast; nothing expanded, nothing followed.
    @Test func foreignBrokenAndHostileXMLIsRefusedInOneLine() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = "\(folder)/good.xml"
        #expect(try CommandRunner.recon(["scan", "127.0.0.1", "1-5", "-oX", good]).status == 0)
        // A DTD nobody may open: a FIFO without a writer blocks whoever opens it.
        let fifo = "\(folder)/blocking.dtd"
        #expect(mkfifo(fifo, 0o600) == 0)
        let laughs =
            "<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun [\n<!ENTITY a \"ha\">\n"
            + (1...12).map {
                "<!ENTITY \(Character(UnicodeScalar(UInt8(97 + $0)))) \""
                    + String(repeating: "&\(Character(UnicodeScalar(UInt8(96 + $0))));", count: 10) + "\">"
            }
            .joined(separator: "\n") + "\n]>\n<nmaprun scanner=\"nmap\" args=\"&m;\"/>\n"
        let cases: [(name: String, text: String, message: String)] = [
            ("foreign", "<foo/>", "not nmap's XML: the root element is <foo>, not <nmaprun>"),
            ("malformed", "<nmaprun scanner=\"nmap\"><host></nmaprun>", "not well-formed XML (line 1"),
            ("truncated", "<?xml version=\"1.0\"?>\n<nmaprun scanner=\"nmap\">\n<host>", "not well-formed XML"),
            ("laughs", laughs, NmapXMLDecoder.entityRefusal),
            (
                "passwd",
                "<?xml version=\"1.0\"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                    + "<nmaprun scanner=\"nmap\" args=\"&x;\"/>", NmapXMLDecoder.entityRefusal
            ),
            (
                "external-dtd",
                "<?xml version=\"1.0\"?><!DOCTYPE nmaprun SYSTEM \"\(fifo)\"><nmaprun scanner=\"nmap\" args=\"&x;\"/>",
                NmapXMLDecoder.entityRefusal
            ),
            ("not-tcp", "<nmaprun scanner=\"nmap\"><scaninfo protocol=\"udp\" services=\"53\"/></nmaprun>", "no TCP"),
            // libxml2 crashed switching to UTF-7 (fuzz finding F3); other encodings are refused too.
            (
                "utf-7", "<?xml version=\"1.0\" encoding=\"UTF-7\"?>\n<nmaprun scanner=\"nmap\"/>",
                "declares the encoding 'utf-7': nmap XML is UTF-8"
            ),
            (
                "odd-encoding", "<?xml version=\"1.0\" encoding = 'latin1?>\n<nmaprun scanner=\"nmap\"/>",
                "has an XML declaration whose encoding cannot be read"
            ),
            (
                "bad-state",
                "<nmaprun><scaninfo protocol=\"tcp\" services=\"80\"/><host><status state=\"up\"/>"
                    + "<address addr=\"127.0.0.1\" addrtype=\"ipv4\"/><ports><port protocol=\"tcp\" portid=\"80\">"
                    + "<state state=\"unfiltered\" reason=\"reset\"/></port></ports></host></nmaprun>",
                "port 80/tcp of 127.0.0.1: state 'unfiltered' is not one recon compares"
            ),
            (
                "bad-ports",
                "<nmaprun><scaninfo protocol=\"tcp\" services=\"1-9\"/><host><address addr=\"::1\" addrtype=\"ipv6\"/>"
                    + "<ports><extraports state=\"closed\" count=\"9\"><extrareasons reason=\"conn-refused\" "
                    + "count=\"9\" ports=\"1-x\"/></extraports></ports></host></nmaprun>",
                "<extrareasons> of ::1: ports=\"1-x\" is not a port list ('1-x')"
            ),
        ]
        for (name, text, message) in cases {
            let path = "\(folder)/\(name).xml"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let started = Date()
            let result = try CommandRunner.recon(["diff", path, good], timeout: 20)
            #expect(Date().timeIntervalSince(started) < 10, "\(name)")
            #expect(result.status == 2, "\(name): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.isEmpty, "\(name)")
            #expect(result.stderr.hasPrefix("recon: \(path): \(message)"), "\(name): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(name): \(result.stderr)")
            #expect(!result.stderr.contains("root:"), "\(name)")
        }
        // XML has no findings: refused as a baseline, as a JSON scan without an audit is.
        let baseline = try CommandRunner.recon(["audit", "127.0.0.1", "1-5", "--baseline", good])
        #expect(baseline.status == 2, "\(baseline.stderr)")
        #expect(
            baseline.stderr == "recon: baseline \(good): is nmap XML, which holds no findings "
                + "(write the baseline with recon audit --format json)\n")
    }

    /// Under the early refusal, the reader alone: it loads no external entity (a file's text
    /// never arrives), refuses an internal subset and an entity loop at once, and refuses an
    /// undeclared entity.
    @Test func theParserAloneLoadsNoExternalEntityAndStopsEntityLoops() throws {
        try withTemporaryFile("LEAKED", suffix: ".txt") { secret in
            let external = """
                <?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file://\(secret)">]>
                <nmaprun><cpe>&x;</cpe></nmaprun>
                """
            let reader = NmapXMLReader { _ in }
            reader.parse(Array(external.utf8))
            #expect(reader.failure == NmapXMLDecoder.entityRefusal)
            #expect(reader.run == nil)
            #expect(throws: ReportDecodingError.self) { try NmapXMLDecoder.refuseDeclarations(Array(external.utf8)) }
        }
        var laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun [\n<!ENTITY l0 \"lol\">\n"
        for level in 1...9 {
            laughs += "<!ENTITY l\(level) \"" + String(repeating: "&l\(level - 1);", count: 10) + "\">\n"
        }
        laughs += "]>\n<nmaprun args=\"&l9;\"/>\n"
        let reader = NmapXMLReader { _ in }
        let elapsed = ContinuousClock().measure { reader.parse(Array(laughs.utf8)) }
        #expect(reader.failure == NmapXMLDecoder.entityRefusal)
        #expect(reader.run == nil)
        #expect(elapsed < .seconds(2))
        // What nmap writes: references, a comment, a processing instruction, CDATA in <cpe>.
        let plain = NmapXMLReader { _ in }
        plain.parse(
            Array(
                """
                <?xml version="1.0" encoding="UTF-8"?><!DOCTYPE nmaprun><?xml-stylesheet href="a.xsl"?>
                <!-- a comment --><nmaprun args="a &amp; &lt;b&gt; &#233;&#x41;"><cpe><![CDATA[cpe:/a]]>:x</cpe></nmaprun>
                """.utf8))
        #expect(plain.failure == nil)
        #expect(plain.run?["args"] == "a & <b> \u{E9}A" && plain.run?.child("cpe")?.text == "cpe:/a:x")
        // A processing instruction without data crashed FoundationXML's parser (fuzz finding F4).
        let bare = NmapXMLReader { _ in }
        bare.parse(Array("<?xlmxml?>\n<nmaprun/>".utf8))
        #expect(bare.failure == nil && bare.run != nil)
        // The early refusal reads the DOCTYPE's quotes: a '[' inside them is no internal subset.
        #expect(throws: Never.self) {
            try NmapXMLDecoder.refuseDeclarations(Array("<!DOCTYPE nmaprun SYSTEM \"a[b.dtd\"><nmaprun/>".utf8))
        }
        #expect(throws: ReportDecodingError.self) {
            try NmapXMLDecoder.refuseDeclarations(Array("<!DOCTYPE nmaprun SYSTEM \"a>b\" [ ]><nmaprun/>".utf8))
        }
        let undeclared = NmapXMLReader { _ in }
        undeclared.parse(Array("<nmaprun args=\"&passwd;\"/>".utf8))
        #expect(undeclared.failure == NmapXMLDecoder.entityRefusal && undeclared.run == nil)
    }
}
