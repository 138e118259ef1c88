import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// `recon scan --capture` as a user runs it: the handshakes in the report and the pcap file.
@Suite("Handshake capture, end to end", .enabled(if: NetworkNamespace.available, "needs root, ip, iptables"))
struct CaptureTests {
    @Test(arguments: [false, true])
    func openAndClosedHandshakesMatchThePcapFile(ipv6: Bool) throws {
        let listener = TestSocket(ipv6: ipv6)
        let closed = TestSocket(ipv6: ipv6, listening: false)
        try withTemporaryFile(suffix: ".pcap") { file in
            let result = try CommandRunner.recon([
                "scan", ipv6 ? "::1" : "127.0.0.1", "\(listener.port),\(closed.port)", "--show", "closed", "--pcap-out",
                file,
                "--format", "json",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
            let report = try result.report()
            let capture = try #require(report.run.capture)
            #expect(capture.interfaces == ["lo"])
            #expect(capture.statistics.dropped == 0)
            let open = try #require(report.port(listener.port)?.handshake)
            #expect(open.compact.hasPrefix("S SA A"), "\(open.compact)")
            #expect(open.wireReason == .synAck)
            #expect(open.wireRttMicroseconds != nil)
            #expect(open.packets.first?.direction == .outbound && open.packets.dropFirst().first?.direction == .inbound)
            let refused = try #require(report.port(closed.port)?.handshake)
            #expect(refused.compact == "S RA")
            #expect(refused.wireReason == .reset)

            // tshark reads the file and sees the same packets, in the same order.
            let tshark = try CommandRunner.run(
                "/usr/bin/tshark", ["-r", file, "-T", "fields", "-e", "tcp.dstport", "-e", "tcp.srcport"])
            #expect(tshark.status == 0, "\(tshark.stderr)")
            let wire = tshark.stdout.split(separator: "\n").map { $0.split(separator: "\t").compactMap { Int($0) } }
            for (port, handshake) in [(Int(listener.port), open), (Int(closed.port), refused)] {
                let seen = wire.filter { $0.contains(port) }
                #expect(
                    seen.count == handshake.packets.count,
                    "port \(port): tshark \(seen.count), report \(handshake.packets.count)")
            }
        }
    }

    @Test func filteredPortShowsUnansweredSyns() throws {
        let namespace = try NetworkNamespace()
        try namespace.iptables(["-A", "INPUT", "-i", "lo", "-p", "tcp", "--dport", "81", "-j", "DROP"])
        let result = try namespace.recon([
            "scan", "127.0.0.1", "80,81", "--capture", "--retries", "1", "--min-timeout", "50ms", "--show", "closed",
            "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try result.report()
        let dropped = try #require(report.port(81)?.handshake)
        #expect(dropped.wireReason == .noResponse)
        #expect(dropped.packets.allSatisfy { $0.direction == .outbound && $0.flags == "S" })
        #expect(dropped.synRetransmissions >= 1)
        #expect(report.port(80)?.handshake?.compact == "S RA")
    }

    /// Every port of 127.0.0.1 with 100 listeners, in a namespace: each open port is listed with
    /// its handshake, nothing is dropped, and the run stays under 64 MiB with the default kernel
    /// buffer (8 MiB of it). Closed ports are summarised, so only the listed ports' handshakes
    /// are looked up; the capture still records and indexes every packet.
    @Test func fullRangeWithHundredListenersStaysUnder64MiB() throws {
        let namespace = try NetworkNamespace()
        let ports = try namespace.listeners(count: 100)
        let result = try namespace.recon(
            ["scan", "127.0.0.1", "-", "--capture", "--format", "json"], timeout: 120,
            measuringPeakMemory: true)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try result.report()
        #expect(report.run.capture?.statistics.dropped == 0)
        let open = report.hosts.first?.ports ?? []
        #expect(open.map(\.port) == ports.map { Int($0) })
        for entry in open {
            #expect(entry.handshake?.compact == "S SA A RA", "port \(entry.port)")
        }
        let peakKiB = try #require(result.peakMemoryKiB)
        #expect(peakKiB < 64 * 1024, "peak memory \(peakKiB) KiB")
    }

    @Test func tableGainsAHandshakeColumn() throws {
        let listener = TestSocket()
        let result = try CommandRunner.recon(["scan", "127.0.0.1", "\(listener.port)", "--capture"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.lines
        #expect(lines.contains { $0.hasPrefix("PORT") && $0.contains("HANDSHAKE") })
        #expect(lines.contains { $0.hasPrefix("\(listener.port)/tcp") && $0.contains("S SA A") })
    }

    @Test func captureThatCannotStartFailsBeforeTheScan() throws {
        // Without CAP_NET_RAW libpcap cannot open the interface: one line, exit 5, nothing scanned.
        let result = try CommandRunner.run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                CommandRunner.reconBinary, "scan", "127.0.0.1", "1-10", "--capture",
            ])
        #expect(result.status == 5, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.hasPrefix("recon: "))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.isEmpty)
    }
}
