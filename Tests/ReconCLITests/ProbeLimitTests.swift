import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// Probing under a low open-file limit: the prober shares the descriptor budget with the connect
/// engine, so recon either reports every listener with its banner and exits 0, or says in one
/// line why it could not and exits non-zero. Never a wrong report with exit 0.
@Suite("Probing under a low open-file limit")
struct ProbeLimitTests {
    /// Runs recon with `arguments` under `ulimit -n limit` (soft and hard), at most 90 s; inside
    /// `namespace` when given.
    static func recon(limit: Int, in namespace: NetworkNamespace? = nil, _ arguments: [String]) throws
        -> CommandResult
    {
        let shell = ["/bin/bash", "-c", "ulimit -n \(limit) && exec \"$0\" \"$@\"", CommandRunner.reconBinary]
        if let namespace { return try namespace.run(shell + arguments, timeout: 90) }
        return try CommandRunner.run(shell[0], Array(shell.dropFirst()) + arguments, timeout: 90)
    }

    /// 100 banner listeners and the closed ports between them, in a namespace of its own so that
    /// no other listener is in the range (and nothing else is probed).
    @Test(.enabled(if: NetworkNamespace.available, "needs root, ip, iptables"), arguments: [16, 64])
    func bannersAreAllThereOrReconFailsClearly(limit: Int) throws {
        let namespace = try NetworkNamespace()
        let modes = (1...100).map { "banner.\($0)" }
        let services = try HostileServices(modes, in: namespace)
        let listeners = Set(services.ports.values)
        // Thousands of closed ports between the listeners: the engine runs on several threads
        // and uses the whole window the limit leaves before probing starts.
        let range = "\(listeners.min()!)-\(listeners.max()!)"
        let started = Date()
        let result = try Self.recon(
            limit: limit, in: namespace, ["scan", "--banner", "127.0.0.1", range, "--format", "json"])
        let seconds = Date().timeIntervalSince(started)
        #expect(seconds < 90, "ulimit -n \(limit): took \(seconds) s")
        if result.status == 0 {
            let report = try result.report()
            #expect(report.run.complete)
            #expect(report.summary.error == 0, "ulimit -n \(limit): ports in error with exit 0")
            #expect(report.summary.open == listeners.count)
            let ports = Dictionary(uniqueKeysWithValues: report.hosts[0].ports.map { ($0.port, $0) })
            let missing = listeners.filter { ports[Int($0)]?.state != .open }
            #expect(missing.isEmpty, "ulimit -n \(limit): \(missing.count) listeners not open, exit 0")
            let bannerless = listeners.filter {
                ports[Int($0)]?.banner?.text.hasPrefix("SSH-2.0-OpenSSH_9.2p1") != true
            }
            #expect(bannerless.isEmpty, "ulimit -n \(limit): \(bannerless.count) listeners without banner, exit 0")
            #expect(!ports.values.contains { $0.probeError != nil })
        } else {
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line: \(result.stderr)")
            #expect(result.stderr.hasPrefix("recon: ") && result.stderr.contains("ulimit -n"), "\(result.stderr)")
        }
    }

    /// A limit too low for anything to work fails before scanning, naming `ulimit -n` and the
    /// minimum, and creates no output file.
    @Test func limitTooLowFailsBeforeScanning() throws {
        let services = try HostileServices(["banner"])
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("recon-\(UUID().uuidString).json")
            .path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try Self.recon(
            limit: 8,
            ["scan", "--banner", "127.0.0.1", services.portList(["banner"]), "--format", "json", "-o", output])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("ulimit -n 8") && result.stderr.contains("at least"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output), "no output file before the checks pass")
    }

    /// The minimum the refusal names is enough: at exactly that limit, probing works.
    @Test func limitAtTheMinimumStillProbes() throws {
        let services = try HostileServices(["banner"])
        let tooLow = try Self.recon(limit: 8, ["scan", "--banner", "127.0.0.1", services.portList(["banner"])])
        let minimum = try #require(
            tooLow.stderr.split(separator: " ").last.flatMap {
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            },
            "\(tooLow.stderr)")
        let result = try Self.recon(
            limit: minimum, ["scan", "--banner", "127.0.0.1", services.portList(["banner"]), "--format", "json"])
        #expect(result.status == 0, "ulimit -n \(minimum): \(result.stderr)")
        if result.status == 0 {
            let entry = try #require(try result.report().port(services.ports["banner"]!))
            #expect(entry.banner?.text.hasPrefix("SSH-2.0-") == true)
        }
    }

    /// A port that cannot be probed for a local reason, however long recon backs off, is marked
    /// in the report and recon exits 1 with one line. Made real inside a namespace with a single
    /// source port: the connect scan closes with RST and frees it, but the first probe
    /// connection holds it (FIN-WAIT-2: the listener never accepts), so every later connect
    /// fails with EADDRNOTAVAIL.
    @Test(.enabled(if: NetworkNamespace.available, "needs root, ip, iptables"))
    func portThatCannotBeProbedIsMarkedAndFails() throws {
        let namespace = try NetworkNamespace()
        try namespace.run(["sysctl", "-qw", "net.ipv4.ip_local_port_range=40000 40000"])
        try namespace.listen(port: 8080, lifetime: 30)
        let started = Date()
        let result = try namespace.recon(["scan", "--banner", "127.0.0.1", "8080", "--format", "json"], timeout: 60)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("could not be fully probed: EADDRNOTAVAIL"), "\(result.stderr)")
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let entry = try #require(try result.report().port(8080))
        #expect(entry.state == .open)
        #expect(entry.probeError == "EADDRNOTAVAIL")
    }
}
