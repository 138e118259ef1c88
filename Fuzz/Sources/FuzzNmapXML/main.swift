// Fuzzes the nmap XML reader (`recon diff` and `--baseline` operands) on any bytes a file holds:
// recon's own XML, nmap's, or a hostile file. It must never crash, never resolve an entity, and
// what it accepts must be a report the diff can trust: hosts with ports in range and once each,
// no negative count, a closed summary that counts at least the ports of its ranges.
import FuzzSupport
import ReconCore
import ReconNmapXML

fuzz { bytes in
    let decoder = NmapXMLDecoder()
    guard decoder.recognizes(bytes.prefix(256)[...]) else { return }
    let report: ScanReport
    do throws(ReportDecodingError) {
        report = try decoder.decode(bytes)
    } catch {
        invariant(!error.description.isMultiline, "error on more than one line: \(error.description)")
        return
    }
    invariant(report.findings == nil, "findings out of nmap XML")
    for host in report.hosts {
        let ports = host.ports.map(\.port)
        invariant(ports.allSatisfy { (1...65535).contains($0) }, "a port out of range in \(ports)")
        invariant(Set(ports).count == ports.count, "a port listed twice in \(ports)")
        let summary = host.summary
        invariant(
            [summary.open, summary.closed, summary.filtered, summary.error, summary.unscanned].allSatisfy { $0 >= 0 },
            "a negative count")
        if let closed = host.closed {
            invariant(closed.ports.count > 0 && closed.count >= closed.ports.count, "closed count vs its ranges")
        }
    }
}
