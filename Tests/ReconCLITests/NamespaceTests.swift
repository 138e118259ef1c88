import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// Tests that need a firewall or an address outside the allowlist run inside a fresh network
/// namespace with only `lo`: nothing sent there can leave the machine.
@Suite("Inside a private network namespace", .enabled(if: NetworkNamespace.available, "needs root, ip, iptables"))
struct NamespaceTests {
    @Test func filteredPortsKeepTheirReasons() throws {
        let namespace = try NetworkNamespace()
        try namespace.listen(port: 8080)
        try namespace.iptables(["-A", "INPUT", "-i", "lo", "-p", "tcp", "--dport", "81", "-j", "DROP"])
        try namespace.iptables([
            "-A", "INPUT", "-i", "lo", "-p", "tcp", "--dport", "82", "-j", "REJECT", "--reject-with",
            "icmp-host-unreachable",
        ])
        try namespace.iptables([
            "-A", "INPUT", "-i", "lo", "-p", "tcp", "--dport", "83", "-j", "REJECT", "--reject-with",
            "icmp-net-unreachable",
        ])
        // Linux hands an ICMP admin-prohibited to connect() as EHOSTUNREACH: a connect scan
        // cannot tell it from host-unreachable (the capture module can).
        try namespace.iptables([
            "-A", "INPUT", "-i", "lo", "-p", "tcp", "--dport", "84", "-j", "REJECT", "--reject-with",
            "icmp-admin-prohibited",
        ])
        let result = try namespace.recon([
            "scan", "127.0.0.1", "80-84,8080", "--format", "json", "--retries", "1", "--min-timeout", "50ms",
        ])
        let closedReport = try namespace.recon(["scan", "127.0.0.1", "80", "--format", "json", "--show", "closed"])
        #expect(try closedReport.report().port(80)?.reason == .connRefused)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try result.report()
        let ports = Dictionary(uniqueKeysWithValues: report.hosts[0].ports.map { ($0.port, $0) })
        // Closed ports are summarised (`--show closed` lists them).
        #expect(ports[80] == nil)
        #expect(report.hosts[0].closed == PortSummary(count: 1, reasons: ["conn-refused": 1], ports: PortRanges([80])))
        #expect(ports[81]?.state == .filtered && ports[81]?.reason == .noResponse && ports[81]?.rttMs == nil)
        #expect(ports[81]?.attempts == 2)
        #expect(
            ports[82]?.state == .filtered && ports[82]?.reason == .hostUnreach && ports[82]?.errno == "EHOSTUNREACH")
        #expect(ports[83]?.state == .filtered && ports[83]?.reason == .netUnreach)
        #expect(ports[84]?.state == .filtered && ports[84]?.reason == .hostUnreach && ports[84]?.rttMs != nil)
        #expect(ports[8080]?.state == .open && ports[8080]?.reason == .synAck)
        // The adaptive timeout learned loopback speed: the dropped port cost about 2 × 50 ms.
        #expect(report.run.elapsedSeconds < 1.0)
    }

    @Test func filteredBenchShapeMatchesNmap() throws {
        let namespace = try NetworkNamespace()
        for port in stride(from: 7, through: 997, by: 10) {
            try namespace.iptables(["-A", "INPUT", "-i", "lo", "-p", "tcp", "--dport", "\(port)", "-j", "DROP"])
        }
        let result = try namespace.recon(["scan", "127.0.0.1", "1-1024", "--format", "json"])
        let report = try result.report()
        #expect(report.summary.closed == 924)
        #expect(report.summary.filtered == 100)
        let filtered = Set(report.hosts[0].ports.filter { $0.state == .filtered }.map(\.port))
        #expect(filtered == Set(stride(from: 7, through: 997, by: 10)))
    }

    @Test func outOfScopeTargetIsRefusedBeforeAnyPacket() throws {
        let namespace = try NetworkNamespace()
        // Count every packet the namespace sends; the refusal must send none, not even to 127.0.0.1.
        try namespace.iptables(["-A", "OUTPUT"])
        let result = try namespace.recon(["scan", "127.0.0.1", "192.0.2.1", "1-100"])
        #expect(result.status == 3)
        #expect(
            result.stderr == "recon: refused: 192.0.2.1 is out of scope: no allow rule matches (default: refuse); "
                + "nothing was sent (if you own it, add 'allow 192.0.2.1' to a policy file and pass --policy FILE)\n")
        #expect(result.stdout.isEmpty)
        #expect(try namespace.outputPackets() == 0)

        let mapped = try namespace.recon(["scan", "::ffff:198.51.100.7", "80"])
        #expect(mapped.status == 3)
        #expect(mapped.stderr.contains("198.51.100.7"))
        #expect(try namespace.outputPackets() == 0)
    }

    @Test func unresolvableNameExitsFour() throws {
        let namespace = try NetworkNamespace()
        let result = try namespace.recon(["scan", "no-such-host.invalid", "80"], timeout: 30)
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("recon: cannot resolve 'no-such-host.invalid'"))
    }
}
