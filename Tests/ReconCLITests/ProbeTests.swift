import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// `recon scan --banner` against real listeners that behave well and badly.
@Suite("Banners and probes, end to end")
struct ProbeTests {
    /// Runs recon through Python to read its peak memory (ru_maxrss of the child, KiB).
    static func reconWithPeakMemory(_ arguments: [String]) throws -> (CommandResult, Int) {
        let script = """
            import resource, subprocess, sys
            p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            sys.stdout.buffer.write(p.stdout)
            sys.stderr.write("%d %d\\n" % (p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
            """
        let result = try CommandRunner.run(
            "/usr/bin/env", ["python3", "-c", script, CommandRunner.reconBinary] + arguments)
        let numbers = result.stderr.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        return (
            CommandResult(status: Int32(numbers.first ?? -1), stdout: result.stdout, stderr: result.stderr),
            numbers.last ?? 0
        )
    }

    static func entry(_ report: ScanReport, _ port: UInt16?) throws -> PortEntry {
        let port = try #require(port)
        return try #require(report.hosts[0].ports.first { $0.port == Int(port) })
    }

    @Test func hostileServicesCannotStallOrBloatTheScan() throws {
        let modes = ["banner", "stream", "drip", "reset", "garbage", "bigheader", "http", "silent"]
        let services = try HostileServices(modes)
        let ports = modes.map { String(services.ports[$0]!) }.joined(separator: ",")
        let (result, peakKiB) = try Self.reconWithPeakMemory([
            "scan", "--banner", "--banner-timeout", "1.5s", "127.0.0.1", ports, "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try JSONDecoder().decode(ScanReport.self, from: Data(result.stdout.utf8))
        #expect(report.run.elapsedSeconds < 2.3, "the whole-port deadline bounds every port")
        #expect(peakKiB < 64 * 1024, "peak memory \(peakKiB) KiB")
        #expect(report.summary.open == modes.count)

        let banner = try Self.entry(report, services.ports["banner"])
        #expect(banner.banner?.text == "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n")
        #expect(banner.service?.name == "ssh")
        #expect(banner.service?.product == "OpenSSH")
        #expect(banner.service?.version == "9.2p1")
        #expect(banner.service?.method == "banner")

        let stream = try Self.entry(report, services.ports["stream"])
        #expect(stream.banner?.length == 4096)
        #expect(stream.banner?.truncated == true)

        let drip = try Self.entry(report, services.ports["drip"])
        #expect((1...3).contains(drip.banner?.length ?? 0))

        let reset = try Self.entry(report, services.ports["reset"])
        #expect(reset.banner?.text == "SSH-2.0-Open")

        let garbage = try Self.entry(report, services.ports["garbage"])
        let bytes = try #require(garbage.banner?.bytes)
        #expect(Array(bytes.prefix(256)) == (0...255).map(UInt8.init))
        #expect(garbage.banner?.text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } == true)

        let big = try Self.entry(report, services.ports["bigheader"])
        let bigReply = try #require(big.probes?.first { $0.probe == "http" }?.reply)
        #expect(bigReply.truncated)
        #expect(bigReply.length == 65536)

        let http = try Self.entry(report, services.ports["http"])
        #expect(http.banner == nil)
        #expect(http.http?.statusCode == 200)
        #expect(http.http?.server == "Hostile/1.0")
        #expect(http.http?.title == "Hostile & Friendly")
        #expect(http.service?.name == "http")
        #expect(http.service?.method == "probe")

        let silent = try Self.entry(report, services.ports["silent"])
        #expect(silent.banner == nil)
        #expect(silent.probes?.contains { $0.probe == "http" && $0.reply == nil } == true)
    }

    @Test func silentPortsWaitInParallel() throws {
        let services = try HostileServices(Array(repeating: "silent", count: 1) + (1...49).map { "silent\($0)" })
        let ports = services.ports.values.map(String.init).joined(separator: ",")
        let result = try CommandRunner.recon([
            "scan", "--banner", "--banner-timeout", "1s", "127.0.0.1", ports, "--format", "json",
        ])
        let report = try JSONDecoder().decode(ScanReport.self, from: Data(result.stdout.utf8))
        #expect(report.summary.open == 50)
        #expect(report.run.elapsedSeconds < 1.6, "50 silent ports cost one timeout, not fifty")
    }

    @Test func forcedHTTPAndStreamingRecords() throws {
        let services = try HostileServices(["banner", "http"])
        let ports = "\(services.ports["banner"]!),\(services.ports["http"]!)"
        let result = try CommandRunner.recon(["scan", "--http", "127.0.0.1", ports, "--format", "jsonl"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        let portLines = lines.dropFirst().dropLast().joined(separator: "\n")
        #expect(try CommandRunner.schemaViolation(json: portLines, definition: "portRecord") == nil)
        let records = try lines.dropFirst().dropLast().map {
            try JSONDecoder().decode(PortRecord.self, from: Data($0.utf8))
        }
        let banner = try #require(records.first { $0.entry.port == Int(services.ports["banner"]!) })
        #expect(banner.entry.banner != nil)
        #expect(banner.entry.probes?.contains { $0.probe == "http" } == true)
    }

    @Test func tableShowsServiceAndBanner() throws {
        let services = try HostileServices(["banner", "http"])
        let result = try CommandRunner.recon([
            "scan", "--banner", "127.0.0.1", "\(services.ports["banner"]!),\(services.ports["http"]!)",
        ])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("PORT") && $0.contains("SERVICE") && $0.contains("VERSION") })
        #expect(lines.contains { $0.contains(" open ") && $0.contains("ssh") && $0.contains("OpenSSH 9.2p1") })
        #expect(lines.contains("  banner: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n"))
        #expect(lines.contains { $0.hasPrefix("  http: HTTP/1.1 200 OK") && $0.contains("title: Hostile & Friendly") })
    }

    @Test func tlsServiceIsDescribedAndProbedInside() throws {
        let services = try HostileServices(["tls"])
        let port = try #require(services.ports["tls"])
        let result = try CommandRunner.recon(["scan", "--banner", "127.0.0.1", "\(port)", "--format", "json"])
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try JSONDecoder().decode(ScanReport.self, from: Data(result.stdout.utf8))
        let entry = try Self.entry(report, port)
        let tls = try #require(entry.tls)
        #expect(tls.version == "TLSv1.3")
        #expect(tls.cipher?.hasPrefix("TLS_") == true)
        #expect(tls.subject == "CN=recon-test.local, O=recon tests")
        #expect(tls.issuer == tls.subject)
        #expect(tls.subjectAlternativeNames == ["recon-test.local", "127.0.0.1"])
        #expect(tls.notAfter.map { $0 > report.run.started } == true)
        #expect(entry.http?.title == "Hostile & Friendly")
        #expect(entry.service?.name == "http")
        #expect(entry.service?.tunnel == "ssl")
        #expect(entry.probes?.contains { $0.probe == "tls-http" && $0.reply != nil } == true)
    }

    @Test func badRulesFileIsRejectedBeforeScanning() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recon-\(UUID().uuidString).rules")
        defer { try? FileManager.default.removeItem(at: file) }
        try "probe banner\nmatch ssh m|^SSH-(|\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try CommandRunner.recon(["scan", "--banner", "127.0.0.1", "80", "--rules", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file.path):2"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
