import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// `recon scan --banner` against real listeners that behave well and badly.
@Suite("Banners and probes, end to end")
struct ProbeTests {
    static func entry(_ report: ScanReport, _ port: UInt16?) throws -> PortEntry {
        let port = try #require(port)
        return try #require(report.port(port))
    }

    @Test func hostileServicesCannotStallOrBloatTheScan() throws {
        let modes = ["banner", "stream", "drip", "reset", "garbage", "bigheader", "http", "silent"]
        let services = try HostileServices(modes)
        let result = try CommandRunner.recon(
            [
                "scan", "--banner", "--banner-timeout", "1.5s", "127.0.0.1", services.portList(modes), "--format",
                "json",
            ],
            measuringPeakMemory: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try result.report()
        #expect(report.run.elapsedSeconds < 2.3, "the whole-port deadline bounds every port")
        let peakKiB = try #require(result.peakMemoryKiB)
        #expect(peakKiB < 64 * 1024, "peak memory \(peakKiB) KiB")
        #expect(report.summary.open == modes.count)

        let banner = try Self.entry(report, services.ports["banner"])
        #expect(banner.banner?.text == "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n")
        #expect(banner.service?.name == "ssh")
        #expect(banner.service?.product == "OpenSSH")
        #expect(banner.service?.version == "9.2p1")
        #expect(banner.service?.method == .banner)

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
        #expect(http.service?.method == .probe)

        let silent = try Self.entry(report, services.ports["silent"])
        #expect(silent.banner == nil)
        #expect(silent.probes?.contains { $0.probe == "http" && $0.reply == nil } == true)
    }

    @Test func silentPortsWaitInParallel() throws {
        let modes = ["silent"] + (1...49).map { "silent\($0)" }
        let services = try HostileServices(modes)
        let result = try CommandRunner.recon([
            "scan", "--banner", "--banner-timeout", "1s", "127.0.0.1", services.portList(modes), "--format", "json",
        ])
        let report = try result.report()
        #expect(report.summary.open == 50)
        #expect(report.run.elapsedSeconds < 1.6, "50 silent ports cost one timeout, not fifty")
    }

    @Test func forcedHTTPAndStreamingRecords() throws {
        let services = try HostileServices(["banner", "http"])
        let ports = services.portList(["banner", "http"])
        let result = try CommandRunner.recon(["scan", "--http", "127.0.0.1", ports, "--format", "jsonl"])
        #expect(result.status == 0)
        let lines = result.lines
        #expect(lines.count == 4)
        let portLines = lines.dropFirst().dropLast().joined(separator: "\n")
        #expect(try CommandRunner.schemaViolation(json: portLines, definition: "portRecord") == nil)
        let records = try result.portRecords()
        let banner = try #require(records.first { $0.entry.port == Int(services.ports["banner"]!) })
        #expect(banner.entry.banner != nil)
        #expect(banner.entry.probes?.contains { $0.probe == "http" } == true)
    }

    @Test func tableShowsServiceAndBanner() throws {
        let services = try HostileServices(["banner", "http"])
        let result = try CommandRunner.recon([
            "scan", "--banner", "127.0.0.1", services.portList(["banner", "http"]),
        ])
        let lines = result.lines
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
        let report = try result.report()
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
        #expect(entry.service?.tunnel == .ssl)
        #expect(entry.probes?.contains { $0.probe == "tls-http" && $0.reply != nil } == true)
    }

    @Test func badRulesFileIsRejectedBeforeScanning() throws {
        try withTemporaryFile("probe banner\nmatch ssh m|^SSH-(|\n", suffix: ".rules") { file in
            let result = try CommandRunner.recon(["scan", "--banner", "127.0.0.1", "80", "--rules", file])
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(file):2"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}
