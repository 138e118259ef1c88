/// Renders a report as a readable text table, nmap style: open ports listed, the rest summarized.
public struct TableRendering: Sendable {
    /// States listed even when numerous (`--show closed,filtered`). Open is always listed.
    public var alwaysShown: Set<PortState>
    /// A state other than open with more ports than this is summarized instead (nmap uses 25).
    public var collapseAbove: Int
    /// Columns of the terminal the table is shown on: port rows and detail lines are cut to it
    /// (with `...`); nil (not a terminal, or `-v`) leaves them whole.
    public var width: Int?
    /// Colour states and severities (a terminal without `NO_COLOR` or `--no-color`).
    public var colour: Bool

    public init(alwaysShown: Set<PortState> = [], collapseAbove: Int = 25, width: Int? = nil, colour: Bool = false) {
        self.alwaysShown = alwaysShown
        self.collapseAbove = collapseAbove
        self.width = width
        self.colour = colour
    }

    /// The table as text.
    public func render(_ report: ScanReport) -> String {
        var out = ""
        let run = report.run
        let hostWord = report.hosts.count == 1 ? "host" : "hosts"
        let portWord = run.portCount == 1 ? "port" : "ports"
        out +=
            "recon \(run.version): \(report.hosts.count) \(hostWord), \(run.portCount) \(portWord) each (\(run.ports))\n"
        for host in report.hosts {
            out += "\n" + header(host) + "\n"
            let shown = host.ports.filter { isListed($0.state, in: host.summary) }
            if shown.isEmpty {
                out += "no port to list\n"
            } else {
                let probed = host.ports.contains {
                    $0.service != nil || $0.banner != nil || $0.probes != nil || $0.probeError != nil
                }
                let captured = host.ports.contains { $0.handshake != nil }
                var header = ["RTT"]
                if captured { header.append("HANDSHAKE") }
                out += row("PORT", "STATE", "REASON", header, probed ? ("SERVICE", "VERSION") : nil) + "\n"
                for entry in shown {
                    var reason = entry.reason.rawValue
                    if let errno = entry.errno, entry.state == .error { reason += " (\(errno))" }
                    var middle = [rtt(entry.rttMs)]
                    if captured { middle.append(entry.handshake?.compact ?? "-") }
                    let service = probed ? Self.serviceColumns(entry) : nil
                    let line = row("\(entry.port)/tcp", entry.state.rawValue, reason, middle, service)
                    out += paint(fit(line), entry.state) + "\n"
                    out += Self.detailLines(entry).map { fit("  " + $0) + "\n" }.joined()
                }
            }
            let hidden = PortState.allCases.compactMap { state -> String? in
                let count = host.summary[state] - shown.filter { $0.state == state }.count
                return count > 0 ? "\(count) \(state.rawValue)" : nil
            }
            if !hidden.isEmpty { out += hidden.joined(separator: ", ") + " not shown\n" }
        }
        if let audit = report.audit { out += FindingsTable.render(report.findings ?? [], audit, colour: colour) }
        out += "\n" + footer(report) + "\n"
        return out
    }

    private func isListed(_ state: PortState, in counts: StateCounts) -> Bool {
        switch state {
        case .open: return true
        case .closed: return alwaysShown.contains(.closed)
        case .filtered, .error: return alwaysShown.contains(state) || counts[state] <= collapseAbove
        }
    }

    private func header(_ host: HostReport) -> String {
        var line = "Host \(host.address)"
        if let name = host.hostname { line += " (\(TerminalText.escaped(name)))" }
        if let srtt = host.timing.srttMs { line += ", srtt \(format(srtt)) ms" }
        return line
    }

    private func footer(_ report: ScanReport) -> String {
        let run = report.run
        let counts = report.summary
        var parts = PortState.allCases.compactMap { counts[$0] > 0 ? "\(counts[$0]) \($0.rawValue)" : nil }
        if counts.unscanned > 0 { parts.append("\(counts.unscanned) unscanned") }
        var line =
            "Scanned \(report.hosts.count) \(report.hosts.count == 1 ? "host" : "hosts") in "
            + "\(format(run.elapsedSeconds)) s: " + (parts.isEmpty ? "nothing" : parts.joined(separator: ", "))
        if !run.complete {
            line +=
                "\nINCOMPLETE: stopped" + (run.interruptedBy.map { " by \($0)" } ?? "")
                + " before every port was scanned"
        }
        return line
    }

    /// PORT, STATE, REASON, then RTT (and HANDSHAKE), then SERVICE and VERSION when probed.
    private func row(
        _ port: String, _ state: String, _ reason: String, _ middle: [String], _ service: (String, String)? = nil
    ) -> String {
        var line = Self.pad(port, 10) + Self.pad(state, 10) + Self.pad(reason, 18)
        for (index, column) in middle.enumerated() {
            let last = index == middle.count - 1 && service == nil
            line += last ? column : Self.pad(column, index == 0 ? 11 : 16)
        }
        guard let service else { return line }
        // Service names and versions come from replies: escaped like every text from the network.
        return line + Self.pad(TerminalText.escaped(service.0), 14) + TerminalText.escaped(service.1)
    }

    /// Service name (`ssl/` when tunnelled) and product, version and extra info.
    static func serviceColumns(_ entry: PortEntry) -> (String, String) {
        guard let match = entry.service else { return (entry.state == .open ? "unknown" : "", "") }
        let name = (match.tunnel == .ssl && match.name != "https" ? "ssl/" : "") + match.name
        var words = [match.product, match.version].compactMap { $0 }
        if let info = match.info { words.append("(\(info))") }
        if match.method == .portTable { words.append("[port table]") }
        return (name, words.joined(separator: " "))
    }

    /// The lines under a probed port, escaped: banner, HTTP status and title, TLS session.
    static func detailLines(_ entry: PortEntry) -> [String] {
        var lines: [String] = []
        if let banner = entry.banner {
            lines.append("banner: " + clip(banner.text) + (banner.truncated ? " [cut]" : ""))
        }
        if let http = entry.http {
            var parts = [http.statusLine]
            if let server = http.server { parts.append("Server: \(server)") }
            if let title = http.title { parts.append("title: \(title)") }
            lines.append("http: " + clip(parts.joined(separator: "; ")))
        }
        if let tls = entry.tls {
            var parts = [[tls.version, tls.cipher].compactMap { $0 }.joined(separator: " ")]
            if let subject = tls.subject { parts.append("subject \(subject)") }
            if let notAfter = tls.notAfter { parts.append("not after \(notAfter.prefix(10))") }
            lines.append("tls: " + clip(parts.joined(separator: "; ")))
        }
        if let error = entry.probeError {
            lines.append("not fully probed: \(error) (a local failure, not the port's)")
        }
        // Status lines, headers, titles and certificate names are the service's words: escaped so
        // they cannot drive the terminal or forge a row.
        return lines.map { TerminalText.escaped($0) }
    }

    /// Long replies are cut whatever the width: a 64 KiB banner is not for reading.
    private static func clip(_ text: String) -> String {
        text.count <= 1024 ? text : String(text.prefix(1021)) + "..."
    }

    /// `line` cut to the terminal's width (with `...`), or whole without one.
    private func fit(_ line: String) -> String {
        guard let width, line.count > width else { return line }
        return String(line.prefix(max(0, width - 3))) + "..."
    }

    /// A port row in its state's colour, when colouring.
    private func paint(_ line: String, _ state: PortState) -> String {
        guard colour else { return line }
        let code = [PortState.open: "32", .closed: "31", .filtered: "33", .error: "35"][state] ?? "0"
        return "\u{1B}[\(code)m" + line + "\u{1B}[0m"
    }

    private func rtt(_ value: Double?) -> String {
        guard let value else { return "-" }
        return "\(format(value)) ms"
    }

    /// `text` filled with spaces to `width`, or followed by one space when it is as wide or wider.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    /// Two decimals below 10, one below 100, none above: 0.05, 12.3, 250.
    private func format(_ value: Double) -> String {
        let digits = value < 10 ? 2 : value < 100 ? 1 : 0
        var scaled = (value * pow10(digits)).rounded()
        let whole = Int(scaled) / Int(pow10(digits))
        scaled -= Double(whole) * pow10(digits)
        guard digits > 0 else { return "\(whole)" }
        let fraction = String(Int(scaled))
        return "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    private func pow10(_ digits: Int) -> Double { digits == 2 ? 100 : digits == 1 ? 10 : 1 }
}
