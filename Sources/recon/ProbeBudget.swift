import ReconCore
import ReconProbes

/// What the CLI says about the open-file budget of probing: a limit too low to probe at all is
/// refused before the scan; ports that could not be probed for a local reason fail the run.
enum ProbeBudget {
    /// Refuses, before any output file or socket, an open-file limit too low for probing to work
    /// at all (with a limit that is merely low, recon probes fewer ports at a time).
    static func checkOpenFileLimit(output: Bool) throws(ReconFailure) {
        let limit = OpenFiles.softLimit()
        let minimum = ServiceProber.minimumOpenFiles(open: OpenFiles.openCount() + (output ? 1 : 0))
        guard limit < minimum else { return }
        throw ReconFailure(
            message:
                "the open-file limit (ulimit -n \(limit)) is too low to probe ports: raise it to at least \(minimum)",
            code: .failure)
    }

    /// The one-line failure for open ports of `report` that could not be probed for a local
    /// reason (marked with `probe_error`), or nil when there are none.
    static func unprobedFailure(in report: ScanReport) -> ReconFailure? {
        let errors = report.hosts.flatMap { $0.ports.compactMap(\.probeError) }
        guard !errors.isEmpty else { return nil }
        let names = Set(errors).sorted()
        let hint =
            if names.contains("EMFILE") {
                "raise the open-file limit (ulimit -n \(OpenFiles.softLimit()))"
            } else if names.contains("EADDRNOTAVAIL") {
                "no local port was free (see net.ipv4.ip_local_port_range)"
            } else {
                "the system was short of resources"
            }
        return ReconFailure(
            message: "\(errors.count) open port\(errors.count == 1 ? "" : "s") could not be fully probed: "
                + "\(names.joined(separator: ", ")), a local failure marked in the report; \(hint)",
            code: .failure)
    }
}
