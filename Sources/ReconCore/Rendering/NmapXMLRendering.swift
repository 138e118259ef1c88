#if canImport(Glibc)
    import Glibc
#endif

/// nmap's XML output (`-oX`, the `nmaprun` document of `/usr/share/nmap/nmap.dtd`), so nmap's
/// own tools and the many that import it (ndiff, nmap.xsl, Metasploit's db_import, IVRE,
/// DefectDojo, Faraday) read recon's results. The DTD requires `scanner="nmap"`; `args` names
/// recon. Closed ports are `<extraports>` with their ranges; open, filtered and error ports are
/// `<port>`s with `<state>`, `<service>` (nmap's fields, `<cpe>`) and one script: the banner as
/// nmap's `banner` script, or else the HTTP title as `http-title`. A host's audit findings are
/// one `recon-audit` host script. (At most one script per element: ndiff, as Debian ships it,
/// fails to sort several.)
public struct NmapXMLRendering: Sendable {
    /// The `xmloutputversion` of the nmap releases whose DTD this follows.
    static let outputVersion = "1.05"

    public init() {}

    /// Writes the whole document, host by host.
    public func writeDocument(_ report: ScanReport, to output: any ReportOutput) {
        let run = report.run
        let started = Self.epochSeconds(run.started)
        let ended = Self.epochSeconds(run.ended)
        let arguments = (["recon"] + run.arguments).joined(separator: " ")
        var head = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE nmaprun>
            <?xml-stylesheet href="file:///usr/share/nmap/nmap.xsl" type="text/xsl"?>
            <!-- recon \(Self.comment(run.version)) scan initiated \(Self.timeText(started)) as: \(Self.comment(arguments)) -->

            """
        head += "<nmaprun scanner=\"nmap\" args=\"\(Self.attribute(arguments))\" start=\"\(started)\""
        head += " startstr=\"\(Self.timeText(started))\" version=\"\(Self.attribute(run.version))\""
        head += " xmloutputversion=\"\(Self.outputVersion)\">\n"
        head += "<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"\(run.portCount)\""
        head += " services=\"\(Self.attribute(run.ports))\"/>\n<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n"
        output.write(Array(head.utf8))
        let findings = Dictionary(grouping: report.findings ?? []) { "\($0.host) \($0.port)" }
        for host in report.hosts {
            output.write(Array(hostElement(host, start: started, end: ended, findings: findings).utf8))
        }
        let hostWord =
            report.hosts.count == 1 ? "IP address (1 host up)" : "IP addresses (\(report.hosts.count) hosts up)"
        let elapsed = Self.number(run.elapsedSeconds)
        var summary =
            "recon done at \(Self.timeText(ended)); \(report.hosts.count) \(hostWord) scanned in \(elapsed) seconds"
        var exit = "exit=\"success\""
        if !run.complete {
            summary += "; incomplete" + (run.interruptedBy.map { ": stopped by \($0)" } ?? "")
            exit = "exit=\"error\" errormsg=\"\(Self.attribute("stopped by \(run.interruptedBy ?? "a signal")"))\""
        }
        var tail = "<runstats><finished time=\"\(ended)\" timestr=\"\(Self.timeText(ended))\""
        tail += " summary=\"\(Self.attribute(summary))\" elapsed=\"\(elapsed)\" \(exit)/>"
        tail +=
            "<hosts up=\"\(report.hosts.count)\" down=\"0\" total=\"\(report.hosts.count)\"/>\n</runstats>\n</nmaprun>\n"
        output.write(Array(tail.utf8))
    }

    /// The document in memory (`writeDocument` into a buffer).
    public func document(_ report: ScanReport) -> [UInt8] {
        let memory = MemoryOutput()
        writeDocument(report, to: memory)
        return memory.bytes
    }

    /// One `<host>`: scanned without host discovery, so up by the user's word (nmap -Pn says so too).
    private func hostElement(_ host: HostReport, start: Int, end: Int, findings: [String: [AuditFinding]]) -> String {
        var xml = "<host starttime=\"\(start)\" endtime=\"\(end)\">"
        xml += "<status state=\"up\" reason=\"user-set\" reason_ttl=\"0\"/>\n"
        xml += "<address addr=\"\(Self.attribute(host.address))\" addrtype=\"\(host.family)\"/>\n"
        if let name = host.hostname {
            xml += "<hostnames>\n<hostname name=\"\(Self.attribute(name))\" type=\"user\"/>\n</hostnames>\n"
        } else {
            xml += "<hostnames>\n</hostnames>\n"
        }
        xml += "<ports>"
        if let closed = host.closed {
            xml += "<extraports state=\"closed\" count=\"\(closed.count)\">\n"
            for (reason, count) in closed.reasons.sorted(by: { $0.key < $1.key }) {
                // The ranges belong to the usual reason; others (rare) are listed as ports.
                let ports = reason == PortReason.connRefused.rawValue ? " ports=\"\(closed.ports)\"" : ""
                xml += "<extrareasons reason=\"\(Self.attribute(reason))\" count=\"\(count)\" proto=\"tcp\"\(ports)/>\n"
            }
            xml += "</extraports>\n"
        }
        for entry in host.ports { xml += portElement(entry) }
        xml += "</ports>\n"
        let found = host.ports.flatMap { findings["\(host.address) \($0.port)"] ?? [] }
        if !found.isEmpty {
            let lines = found.map { finding in
                "\(finding.port)/tcp \(finding.severity.rawValue): \(finding.message) [\(finding.rule), id \(finding.fingerprint)]"
            }
            let output = Self.attribute(lines.joined(separator: "; "))
            xml += "<hostscript><script id=\"recon-audit\" output=\"\(output)\"/></hostscript>\n"
        }
        if let srtt = host.timing.srttMs, let rttvar = host.timing.rttvarMs {
            xml += "<times srtt=\"\(Self.microseconds(srtt))\" rttvar=\"\(Self.microseconds(rttvar))\""
            xml += " to=\"\(Self.microseconds(host.timing.timeoutMs))\"/>\n"
        }
        return xml + "</host>\n"
    }

    /// One `<port>` with its state, service and scripts.
    private func portElement(_ entry: PortEntry) -> String {
        var xml = "<port protocol=\"tcp\" portid=\"\(entry.port)\">"
        xml += "<state state=\"\(entry.state.rawValue)\" reason=\"\(entry.reason.rawValue)\" reason_ttl=\"0\"/>"
        if let service = entry.service {
            xml += "<service name=\"\(Self.attribute(service.name))\""
            let fields: [(String, String?)] = [
                ("product", service.product), ("version", service.version), ("extrainfo", service.info),
                ("hostname", service.hostname), ("ostype", service.os), ("devicetype", service.device),
            ]
            for case let (name, value?) in fields { xml += " \(name)=\"\(Self.attribute(value))\"" }
            if service.tunnel == .ssl { xml += " tunnel=\"ssl\"" }
            xml += " method=\"\(service.method == .portTable ? "table" : "probed")\""
            xml += " conf=\"\(min(10, max(0, service.confidence)))\""
            if service.cpe.isEmpty {
                xml += "/>"
            } else {
                xml += ">" + service.cpe.map { "<cpe>\(Self.text($0))</cpe>" }.joined() + "</service>"
            }
        }
        if let banner = entry.banner {
            xml += "<script id=\"banner\" output=\"\(Self.attribute(banner.text))\"/>"
        } else if let title = entry.http?.title {
            xml += "<script id=\"http-title\" output=\"\(Self.attribute(title))\"/>"
        }
        return xml + "</port>\n"
    }

    /// Text for an attribute value: control characters (which XML 1.0 cannot carry, escaped or
    /// not) written `\xHH` as recon shows them everywhere, then the XML escapes.
    static func attribute(_ value: String) -> String {
        var out = ""
        for scalar in TerminalText.escaped(value).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Text for element content (the same escapes).
    static func text(_ value: String) -> String { attribute(value) }

    /// Text for an XML comment: escaped, never `--`, never ending in `-`.
    static func comment(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in TerminalText.escaped(value).unicodeScalars {
            if scalar == "-" && out.last == "-" { out.append(" ") }
            out.append(scalar)
        }
        if out.last == "-" { out.append(" ") }
        return String(out)
    }

    /// Seconds since 1970 of an RFC 3339 time as recon writes it (`2026-11-21T23:57:53.355Z`).
    static func epochSeconds(_ rfc3339: String) -> Int {
        let digits = rfc3339.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard digits.count >= 6 else { return 0 }
        var parts = tm()
        parts.tm_year = Int32(digits[0] - 1900)
        parts.tm_mon = Int32(digits[1] - 1)
        parts.tm_mday = Int32(digits[2])
        parts.tm_hour = Int32(digits[3])
        parts.tm_min = Int32(digits[4])
        parts.tm_sec = Int32(digits[5])
        return Int(timegm(&parts))
    }

    /// nmap's time text, in UTC: `Sun Nov 29 17:50:00 2026`.
    static func timeText(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a %b %d %H:%M:%S %Y", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Milliseconds as whole microseconds (nmap's `<times>` unit).
    static func microseconds(_ milliseconds: Double) -> Int { Int((milliseconds * 1000).rounded()) }

    /// A number as nmap writes elapsed seconds: two decimals.
    static func number(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// nmap's XML document, written when the scan ends (host by host).
public struct NmapXMLSink: ReportSink {
    let output: any ReportOutput

    public init(output: any ReportOutput) {
        self.output = output
    }

    public func end(_ report: ScanReport) {
        NmapXMLRendering().writeDocument(report, to: output)
    }
}
