import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// nmap XML as nmap's own tools read it: valid against nmap.dtd (xmllint), compared by ndiff,
/// rendered by nmap.xsl (xsltproc).
@Suite("nmap XML, end to end")
struct NmapXMLTests {
    static let dtd = "/usr/share/nmap/nmap.dtd"
    static let stylesheet = "/usr/share/nmap/nmap.xsl"

    @Test func bannerScanValidatesAgainstNmapsDTDAndRendersWithNmapXSL() throws {
        try #require(FileManager.default.fileExists(atPath: Self.dtd), "Tests/install-deps.sh installs nmap")
        let services = try HostileServices(["banner", "webapp", "terminal"])
        let ports = services.portList(["banner", "webapp", "terminal"]) + ",1-50"
        try withTemporaryFile(suffix: ".xml") { file in
            let result = try CommandRunner.recon(["audit", "127.0.0.1", ports, "--format", "xml", "-o", file])
            #expect(result.status == 6, "\(result.stderr)")
            let check = try CommandRunner.run("/usr/bin/xmllint", ["--noout", "--dtdvalid", Self.dtd, file])
            #expect(check.status == 0, "\(check.stderr)")
            let xml = try String(contentsOfFile: file, encoding: .utf8)
            #expect(xml.contains("<extraports state=\"closed\" count=\"50\">"))
            #expect(xml.contains("ports=\"1-50\""))
            #expect(xml.contains("<service name=\"ssh\" product=\"OpenSSH\" version=\"9.2p1\""))
            #expect(xml.contains("<script id=\"banner\" output=\"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n\"/>"))
            #expect(xml.contains("<script id=\"recon-audit\""))
            // Terminal controls from the service are escaped text, never raw bytes in the XML.
            #expect(!xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
            let html = try CommandRunner.run("/usr/bin/xsltproc", [Self.stylesheet, file])
            #expect(html.status == 0, "\(html.stderr)")
            #expect(html.stdout.contains("\(services.ports["banner"]!)") && html.stdout.contains("OpenSSH"))
        }
    }

    @Test func ndiffSeesAPortThatWentAway() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/ndiff"), "Tests/install-deps.sh installs ndiff")
        let staying = TestSocket()
        var leaving: TestSocket? = TestSocket()
        let ports = "\(staying.port),\(leaving!.port),1-20"
        try withTemporaryFile(suffix: ".xml") { before in
            try withTemporaryFile(suffix: ".xml") { after in
                try withTemporaryFile(suffix: ".xml") { again in
                    #expect(try CommandRunner.recon(["scan", "127.0.0.1", ports, "-oX", before]).status == 0)
                    let gone = leaving!.port
                    leaving = nil  // closes the listener
                    #expect(
                        try CommandRunner.recon(["scan", "127.0.0.1", ports, "--format", "xml", "-o", after]).status
                            == 0)
                    #expect(try CommandRunner.recon(["scan", "127.0.0.1", ports, "-oX", again]).status == 0)
                    let changed = try CommandRunner.run("/usr/bin/ndiff", [before, after])
                    #expect(changed.status == 1, "\(changed.stdout)\(changed.stderr)")
                    #expect(changed.stdout.contains("-\(gone)/tcp open"), "\(changed.stdout)")
                    let same = try CommandRunner.run("/usr/bin/ndiff", [after, again])
                    #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
                }
            }
        }
    }
}
