import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// Input and environments meant to break recon: option values that look like options, options
/// that would silently do nothing, huge and hostile files, terminal controls from services and
/// files, refused runs that must leave old reports alone, too little memory, fatal signals.
@Suite("Hostile input, end to end")
struct HostileInputTests {
    @Test(
        "option mistakes: one line naming the real problem, exit 2",
        arguments: [
            (["--timeout", "-1s"], "invalid duration '-1s' for --timeout"),
            (["--concurrency", "-5"], "--concurrency must be 1-65536"),
            (["--retries", "-1"], "--retries must be 0-20"),
            (["--timeout", "1e-10"], "at least 1us"),
            (["--timeout", "0.5ns"], "at least 1us"),
            (["--timeout", "1s", "--min-timeout", "5ms"], "--min-timeout has no effect with --timeout"),
            (["--rules", "/nonexistent/x.rules"], "--rules needs --banner"),
            (["--nmap-probes", "/nonexistent/probes"], "--nmap-probes needs --banner"),
            (["--banner-timeout", "0"], "--banner-timeout needs --banner"),
            (["--banner-bytes", "100"], "--banner-bytes needs --banner"),
            (["--banner", "--banner-timeout", "0"], "invalid duration '0' for --banner-timeout"),
            (["--capture-buffer", "8"], "--capture-buffer needs --capture or --pcap-out"),
        ])
    func optionMistakes(extra: [String], message: String) throws {
        let result = try CommandRunner.recon(["scan", "127.0.0.1", "22"] + extra)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.lines.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func portListsMayStartWithADash() throws {
        let result = try CommandRunner.recon(["scan", "-p", "-100", "127.0.0.1", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.report().run.portCount == 100)
    }

    @Test func aHugeOneLineFileGivesAShortEscapedError() throws {
        var text = [UInt8](repeating: UInt8(ascii: "A"), count: 10 << 20)
        text += [0, 0x1B] + Array("]0;owned".utf8) + [0x07, 0x0A]
        try withTemporaryFile(String(decoding: text, as: UTF8.self), suffix: ".policy") { file in
            let result = try CommandRunner.recon(["scan", "127.0.0.1", "22", "--policy", file])
            #expect(result.status == 2)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(result.stderr.utf8.count < 300, "\(result.stderr.utf8.count) bytes")
            #expect(result.stderr.contains("expected 'allow', 'allow-wide' or 'deny'"))
        }
    }

    @Test func controlBytesOfATargetListAreEscapedInMessages() throws {
        try withTemporaryFile("127.0.0.1\n\u{1B}]0;owned\u{07}bad\u{1B}[2J\n", suffix: ".txt") { list in
            let result = try CommandRunner.recon(["scan", "-iL", list, "22"])
            #expect(result.status == 2)
            #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
            #expect(result.stderr.contains("\\x1b]0;owned\\x07bad\\x1b[2J"), "\(result.stderr)")
        }
    }

    @Test func terminalControlsFromAServiceAreEscapedInTheTable() throws {
        let services = try HostileServices(["terminal", "banner"])
        let result = try CommandRunner.recon([
            "scan", "--banner", "127.0.0.1", services.portList(["terminal", "banner"]),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let forbidden = result.stdout.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F }
        #expect(forbidden.isEmpty, "\(forbidden.map(\.value))")
        // The forged row stays inside the service's line, escaped; no table row says 22/tcp.
        #expect(!result.lines.contains { $0.hasPrefix("22/tcp") })
        #expect(result.stdout.contains("\\x1b]0;pwned\\x07"))
        #expect(result.stdout.contains("Server: \\x1b[2J\\x1b[31mevil\\x1b[0m\\x08\\x08"))
        #expect(result.stdout.contains("title: t\\x1b[1A"))
        // JSON keeps the exact text.
        let json = try CommandRunner.recon([
            "scan", "--banner", "127.0.0.1", services.portList(["terminal"]), "--format", "json",
        ])
        let entry = try #require(try json.report().port(services.ports["terminal"]!))
        #expect(entry.http?.server == "\u{1B}[2J\u{1B}[31mevil\u{1B}[0m\u{08}\u{08}")
    }

    @Test(
        "a run refused after its arguments were read leaves an existing report as it was",
        arguments: [
            ["--pcap-out", "/nonexistent/folder/x.pcap"],
            ["--capture", "--policy", "/nonexistent/p.policy"],
        ])
    func refusedRunKeepsOldReport(extra: [String]) throws {
        try withTemporaryFile("{\"old\": true}\n", suffix: ".json") { file in
            let result = try CommandRunner.recon(["scan", "127.0.0.1", "22", "--format", "json", "-o", file] + extra)
            #expect(result.status != 0)
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "{\"old\": true}\n")
        }
    }

    @Test func captureWithoutPermissionKeepsOldReport() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        try withTemporaryFile("{\"old\": true}\n", suffix: ".json") { file in
            // Every capability dropped: libpcap cannot open the interface.
            let result = try CommandRunner.run(
                "/usr/bin/setpriv",
                [
                    "--inh-caps=-all", "--bounding-set=-all", CommandRunner.reconBinary, "scan", "127.0.0.1", "22",
                    "--capture", "--format", "json", "-o", file,
                ])
            #expect(result.status == 5, "\(result.stderr)")
            #expect(result.stderr.contains("CAP_NET_RAW"))
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "{\"old\": true}\n")
        }
    }

    @Test func wideAllowRulesAreAnnounced() throws {
        try withTemporaryFile("allow-wide 0.0.0.0/0\n", suffix: ".policy") { file in
            let result = try CommandRunner.recon(["scan", "127.0.0.1", "1", "--policy", file])
            #expect(result.status == 0)
            #expect(result.stderr == "recon: note: \(file):1 allows the wide block 0.0.0.0/0 (allow-wide)\n")
        }
        try withTemporaryFile("allow 0.0.0.0/0\n", suffix: ".policy") { file in
            let result = try CommandRunner.recon(["scan", "127.0.0.1", "1", "--policy", file])
            #expect(result.status == 2)
            #expect(result.stderr.contains("write 'allow-wide 0.0.0.0/0'"))
        }
    }

    @Test(
        "too little address space ends with one line, not a crash",
        arguments: [
            ["scan", "--banner", "127.0.0.1", "1-100"], ["scan", "127.0.0.1", "1-100"], ["audit", "127.0.0.1", "1"],
        ])
    func tooLittleAddressSpace(arguments: [String]) throws {
        // Above what the loader needs to map recon and its libraries (Foundation's among them:
        // about 108 MiB for the debug build), below what a run needs on top (about 160 MiB).
        for limit in [120_000, 140_000] {
            let result = try CommandRunner.run(
                "/bin/bash", ["-c", "ulimit -v \(limit); exec \"$0\" \"$@\"", CommandRunner.reconBinary] + arguments,
                timeout: 20)
            #expect(result.status == 1, "ulimit -v \(limit): \(result.status) \(result.stderr)")
            #expect(result.stderr.hasPrefix("recon: the address-space limit (ulimit -v) is "), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func aFatalSignalEndsWithOneLine() throws {
        let scan = try CommandRunner.start(CommandRunner.reconBinary, ["scan", "127.0.0.1", "-", "--rate", "100"])
        usleep(300_000)
        scan.signal(SIGSEGV)
        let result = try scan.finish(timeout: 10)
        #expect(result.status == 70, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("recon: internal failure (SIGSEGV)"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// nmap's file names what recon's rules cannot, says in one line what it could not use, and
    /// is read while the first ports are probed: it costs well under a second.
    @Test func nmapProbesAddIdentificationsCheaply() throws {
        let nmapProbes = "/usr/share/nmap/nmap-service-probes"
        try #require(FileManager.default.fileExists(atPath: nmapProbes), "Tests/install-deps.sh installs nmap")
        let services = try HostileServices(["leafnode", "silent", "http"])
        let ports = services.portList(["leafnode", "silent", "http"])
        func scan(_ extra: [String]) throws -> (ScanReport, String) {
            let result = try CommandRunner.recon(["scan", "--banner", "127.0.0.1", ports, "--format", "json"] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            return (try result.report(), result.stderr)
        }
        let (plain, quiet) = try scan([])
        let (withNmap, stderr) = try scan(["--nmap-probes", "auto"])
        let leafnode = try #require(services.ports["leafnode"])
        #expect(plain.port(leafnode)?.service?.product == nil)
        #expect(withNmap.port(leafnode)?.service?.product == "Leafnode NNTPd")
        #expect(withNmap.port(leafnode)?.service?.version == "1.11.8")
        #expect(quiet.isEmpty)
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("recon: --nmap-probes: ") && lines[0].contains(" not used"))
        // The bar is 1 s for a release build (README: about 0.2 s measured); a debug build reads
        // nmap's file three times slower, and the whole suite shares two cores.
        let bar = CommandRunner.reconBinary.contains("/release/") ? 1.0 : 2.0
        #expect(
            withNmap.run.elapsedSeconds - plain.run.elapsedSeconds < bar,
            "--nmap-probes cost \(withNmap.run.elapsedSeconds - plain.run.elapsedSeconds) s")
    }

    @Test func elapsedTimeCountsLoadingTheRules() throws {
        let nmapProbes = "/usr/share/nmap/nmap-service-probes"
        try #require(FileManager.default.fileExists(atPath: nmapProbes), "Tests/install-deps.sh installs nmap")
        let listener = TestSocket()
        let started = Date()
        let result = try CommandRunner.recon([
            "scan", "--banner", "--nmap-probes", nmapProbes, "127.0.0.1", "\(listener.port)", "--format", "json",
        ])
        let wall = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.stderr)")
        let elapsed = try result.report().run.elapsedSeconds
        #expect(elapsed >= wall * 0.6, "elapsed_s \(elapsed) of \(wall) s")
    }
}
