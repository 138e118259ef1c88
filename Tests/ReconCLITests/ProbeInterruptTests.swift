import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// Ctrl-C and SIGTERM while open ports are probed, and while the connect phase of a probing scan
/// runs: recon stops within a second, marks the report incomplete, and keeps every open port with
/// what it said so far.
@Suite("Interrupting a scan that probes")
struct ProbeInterruptTests {
    /// Bytes recon's side of an established connection to `port` on 127.0.0.1 has received, the
    /// most over such connections (nil when there is none), from `ss -tin`.
    static func bytesReceived(onConnectionTo port: UInt16) throws -> Int? {
        let result = try CommandRunner.run(
            "/usr/bin/env", ["ss", "-Htin", "state", "established", "( dst 127.0.0.1 and dport = :\(port) )"],
            timeout: 5)
        let counts = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { word -> Int? in
            word.hasPrefix("bytes_received:") ? Int(word.dropFirst("bytes_received:".count)) : nil
        }
        return counts.max() ?? (result.stdout.contains(":\(port)") ? 0 : nil)
    }

    /// Waits (up to 30 s) until recon is probing: its connection to the trickle port has heard
    /// the greeting and a few more bytes, so that port has a partial banner.
    static func waitUntilProbing(_ scan: RunningCommand, trickle port: UInt16) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && !scan.hasExited {
            if let received = try bytesReceived(onConnectionTo: port), received >= 14 { return }
            usleep(50_000)
        }
        throw TestSetupError("recon did not start probing port \(port) within 30 s")
    }

    /// Sends `signal` and waits for recon to end; the result and the seconds it took to exit.
    static func stop(_ scan: RunningCommand, with signal: Int32) throws -> (CommandResult, Double) {
        let sent = Date()
        scan.signal(signal)
        let result = try scan.finish(timeout: 40)
        return (result, Date().timeIntervalSince(sent))
    }

    static let modes = ["trickle", "silent", "banner"]

    /// What every probing-interrupt test checks in the report: incomplete, named signal, every
    /// listener open, the banner port identified, the trickle port's partial banner kept.
    static func checkPartialReport(
        ports: [PortEntry], run: RunInfo, services: HostileServices, signalName: String
    ) throws {
        #expect(!run.complete)
        #expect(run.interruptedBy == signalName)
        for mode in modes {
            let port = try #require(services.ports[mode])
            let entry = try #require(ports.first { $0.port == Int(port) }, "port of \(mode) missing")
            #expect(entry.state == .open, "\(mode)")
        }
        let trickle = try #require(ports.first { $0.port == Int(services.ports["trickle"]!) })
        let banner = try #require(trickle.banner, "the trickle port's partial banner was lost")
        #expect(banner.text.hasPrefix("220 trickle..."), "\(banner.text)")
        let ssh = try #require(ports.first { $0.port == Int(services.ports["banner"]!) })
        #expect(ssh.service?.name == "ssh")
    }

    @Test(arguments: [(SIGINT, "json"), (SIGTERM, "jsonl")])
    func signalDuringProbingKeepsWhatPortsSaid(signal: Int32, format: String) throws {
        let services = try HostileServices(Self.modes)
        try withTemporaryFile(suffix: "." + format) { file in
            let scan = try CommandRunner.start(
                CommandRunner.reconBinary,
                [
                    "scan", "--banner", "--banner-timeout", "60s", "127.0.0.1", services.portList(Self.modes),
                    "--format", format, "-o", file,
                ])
            try Self.waitUntilProbing(scan, trickle: services.ports["trickle"]!)
            let (result, seconds) = try Self.stop(scan, with: signal)
            #expect(result.status == (signal == SIGINT ? 130 : 143), "\(result.stderr)")
            #expect(seconds < 1, "exited \(seconds) s after the signal")
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
            if format == "json" {
                #expect(try CommandRunner.schemaViolation(json: text) == nil)
                let report = try JSONDecoder().decode(ScanReport.self, from: Data(text.utf8))
                try Self.checkPartialReport(
                    ports: report.hosts[0].ports, run: report.run, services: services, signalName: name)
            } else {
                let lines = text.split(separator: "\n").map(String.init)
                let end = try JSONDecoder().decode(EndRecord.self, from: Data(try #require(lines.last).utf8))
                let records = try lines.dropFirst().dropLast().map {
                    try JSONDecoder().decode(PortRecord.self, from: Data($0.utf8))
                }
                #expect(records.count == Self.modes.count, "one record per open port")
                #expect(end.summary.open == Self.modes.count)
                try Self.checkPartialReport(
                    ports: records.map(\.entry), run: end.run, services: services, signalName: name)
            }
        }
    }

    @Test func sigintDuringAuditProbing() throws {
        let services = try HostileServices(Self.modes)
        let scan = try CommandRunner.start(
            CommandRunner.reconBinary,
            [
                "audit", "--banner-timeout", "60s", "127.0.0.1", services.portList(Self.modes), "--format", "json",
            ])
        try Self.waitUntilProbing(scan, trickle: services.ports["trickle"]!)
        let (result, seconds) = try Self.stop(scan, with: SIGINT)
        #expect(result.status == 130, "\(result.stderr)")
        #expect(seconds < 1, "exited \(seconds) s after the signal")
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try result.report()
        try Self.checkPartialReport(
            ports: report.hosts[0].ports, run: report.run, services: services, signalName: "SIGINT")
        #expect(report.audit != nil)
    }

    /// SIGINT while the connect phase still runs (paced by --rate): probing never starts, yet
    /// every open port counted in `end` has its record before it, and recon exits at once.
    @Test func jsonLinesKeepOpenPortsWhenTheConnectPhaseIsInterrupted() throws {
        let modes = (1...20).map { "banner.\($0)" }
        let services = try HostileServices(modes)
        let listeners = Set(services.ports.values)
        let low = listeners.min()!
        let high = listeners.max()!
        let last = min(65535, Int(high) + 6000)
        try withTemporaryFile(suffix: ".jsonl") { file in
            let scan = try CommandRunner.start(
                CommandRunner.reconBinary,
                [
                    "scan", "--banner", "127.0.0.1", "\(low)-\(last)", "--rate", "3000", "--show", "closed",
                    "--format", "jsonl", "-o", file,
                ])
            // Wait (up to 30 s) until the scan has passed the last listener (ports are scanned
            // in ascending order; the last whole line tells how far it got).
            let deadline = Date().addingTimeInterval(30)
            var passed = false
            while !passed && Date() < deadline && !scan.hasExited {
                let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
                let last = text.split(separator: "\n").dropFirst().dropLast().last.map(String.init) ?? ""
                let record = try? JSONDecoder().decode(PortRecord.self, from: Data(last.utf8))
                passed = (record?.entry.port ?? 0) > Int(high)
                if !passed { usleep(50_000) }
            }
            try #require(passed, "the scan did not pass port \(high) within 30 s")
            let (result, seconds) = try Self.stop(scan, with: SIGINT)
            #expect(result.status == 130, "\(result.stderr)")
            #expect(seconds < 1, "exited \(seconds) s after the signal")
            let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
            let end = try JSONDecoder().decode(EndRecord.self, from: Data(try #require(lines.last).utf8))
            #expect(end.run.interruptedBy == "SIGINT")
            #expect(end.summary.unscanned > 0, "the connect phase was interrupted")
            let records = try lines.dropFirst().dropLast().map {
                try JSONDecoder().decode(PortRecord.self, from: Data($0.utf8))
            }
            let open = records.filter { $0.entry.state == .open }.map { UInt16($0.entry.port) }
            #expect(open.count == end.summary.open, "every open port counted in end has a record")
            #expect(listeners.isSubset(of: Set(open)))
            #expect(records.count == end.summary.open + end.summary.closed + end.summary.filtered + end.summary.error)
        }
    }
}
