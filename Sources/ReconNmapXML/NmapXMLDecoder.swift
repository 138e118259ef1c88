import ReconCore

#if canImport(Glibc)
    import Glibc
#endif

/// nmap's XML (`nmap -oX`, and recon's own `--format xml`) read back as a report, so that it can
/// be a `recon diff` operand: the run (`start`, `args`, `<scaninfo services>` as the ports
/// scanned, `<runstats><finished exit elapsed>`), each host that is up (`<address>`, the
/// `type="user"` host name), its TCP `<port>`s (`<state>`, `<service>` and `<cpe>`, the `banner`
/// script as the banner bytes) and the closed ports of `<extraports>` (`<extrareasons ports>`).
/// nmap XML holds no audit findings: the report has none, as a scan that was no audit.
///
/// States other than open, closed, filtered and recon's error (`unfiltered`, `open|filtered`:
/// scans recon does not make) are refused. Reasons recon has no word for read as the state's
/// usual reason; reasons never make a change on their own. Hosts that are not up were not
/// port-scanned and are left out, as are non-TCP ports.
public struct NmapXMLDecoder: ReportFileDecoder {
    static let entityRefusal =
        "uses XML entities or a DTD internal subset, which nmap's XML never does: refused"

    public init() {}

    public var format: String { "nmap XML (<nmaprun>)" }

    public func recognizes(_ head: ArraySlice<UInt8>) -> Bool { head.first == UInt8(ascii: "<") }

    public func decode(_ bytes: [UInt8]) throws(ReportDecodingError) -> ScanReport {
        try Self.refuseDeclarations(bytes)
        try Self.refuseForeignEncodings(bytes)
        var hosts: [HostReport] = []
        let reader = NmapXMLReader { element throws(ReportDecodingError) in
            if let host = try Self.host(element) { hosts.append(host) }
        }
        reader.parse(bytes)
        if let failure = reader.failure { throw ReportDecodingError(failure) }
        guard let run = reader.run else { throw ReportDecodingError("not nmap's XML: no <nmaprun> element") }
        let info = try Self.runInfo(run)
        var summary = StateCounts()
        for host in hosts {
            summary.open += host.summary.open
            summary.closed += host.summary.closed
            summary.filtered += host.summary.filtered
            summary.error += host.summary.error
        }
        return ScanReport(schema: ReportFile.nmapXMLSchema, run: info, hosts: hosts, summary: summary)
    }

    /// Refuses, before any parsing, a document type declaration with an internal subset and any
    /// entity declaration: nmap writes `<!DOCTYPE nmaprun>` and nothing more, and entities are how
    /// billion-laughs and external-entity (file, network) tricks work.
    static func refuseDeclarations(_ bytes: [UInt8]) throws(ReportDecodingError) {
        if XMLBytes.firstOffset(of: Array("<!ENTITY".utf8), in: bytes, from: 0) != nil {
            throw ReportDecodingError(entityRefusal)
        }
        var searchFrom = 0
        while let start = XMLBytes.firstOffset(of: Array("<!DOCTYPE".utf8), in: bytes, from: searchFrom) {
            var quote: UInt8?
            var index = start + 9
            scan: while index < bytes.count {
                let byte = bytes[index]
                switch (quote, byte) {
                case (nil, UInt8(ascii: "\"")), (nil, UInt8(ascii: "'")): quote = byte
                case (let open?, _) where open == byte: quote = nil
                case (nil, UInt8(ascii: "[")): throw ReportDecodingError(entityRefusal)
                case (nil, UInt8(ascii: ">")): break scan
                default: break
                }
                index += 1
            }
            searchFrom = index
        }
    }

    /// Refuses, before any parsing, an XML declaration naming an encoding other than UTF-8 or
    /// ASCII (nmap writes UTF-8), and one whose encoding cannot be read: the reader reads UTF-8
    /// only, and would misread anything else (libxml2, used at first, crashed switching to
    /// `encoding="UTF-7"`: fuzz finding F3). Every `<?xml ` in the file counts, up to its `?>`.
    static func refuseForeignEncodings(_ bytes: [UInt8]) throws(ReportDecodingError) {
        var searchFrom = 0
        while let start = XMLBytes.firstOffset(of: Array("<?xml".utf8), in: bytes, from: searchFrom) {
            let end = XMLBytes.firstOffset(of: Array("?>".utf8), in: bytes, from: start + 5) ?? bytes.count
            searchFrom = end
            guard start + 5 < bytes.count, XMLBytes.isSpace(bytes[start + 5]) else { continue }
            var at = start + 5
            while let found = XMLBytes.firstOffset(of: Array("encoding".utf8), in: bytes, from: at), found < end {
                var index = found + 8
                func skipSpace() { while index < end, XMLBytes.isSpace(bytes[index]) { index += 1 } }
                skipSpace()
                guard index < end, bytes[index] == UInt8(ascii: "=") else { throw ReportDecodingError(encodingRefusal) }
                index += 1
                skipSpace()
                guard index < end, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                    throw ReportDecodingError(encodingRefusal)
                }
                let quote = bytes[index]
                let valueStart = index + 1
                guard let valueEnd = bytes[valueStart..<end].firstIndex(of: quote) else {
                    throw ReportDecodingError(encodingRefusal)
                }
                let name = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self).lowercased()
                guard ["utf-8", "utf8", "us-ascii", "ascii"].contains(name) else {
                    throw ReportDecodingError(
                        "declares the encoding '\(TerminalText.oneLine(String(name.prefix(40))))': nmap XML is UTF-8")
                }
                at = valueEnd
            }
        }
    }

    private static let encodingRefusal = "has an XML declaration whose encoding cannot be read (nmap XML is UTF-8)"

    // MARK: The run

    /// `<nmaprun>`'s attributes, its TCP `<scaninfo>` and `<runstats><finished>`.
    static func runInfo(_ run: NmapElement) throws(ReportDecodingError) -> RunInfo {
        guard let scan = run.children("scaninfo").first(where: { $0["protocol"] == "tcp" }) else {
            throw ReportDecodingError("no TCP port scan in it (<scaninfo protocol=\"tcp\">): recon compares TCP ports")
        }
        let services = scan["services"] ?? ""
        let ports: PortList
        do {
            ports = try PortList(parsing: services)
        } catch {
            throw ReportDecodingError("<scaninfo services=\"\(services)\"> is not a port list: \(error.description)")
        }
        let finished = run.child("runstats")?.child("finished")
        let exit = finished?["exit"]
        let complete = finished != nil && (exit == nil || exit == "success")
        var interruptedBy: String?
        if !complete, let message = finished?["errormsg"], message.hasPrefix("stopped by ") {
            interruptedBy = String(message.dropFirst("stopped by ".count))
        }
        // recon's own XML says `args="recon ..."`; nmap's `args="nmap ..."`.
        let words = (run["args"] ?? "").split(separator: " ").map(String.init)
        let program = words.first.map { String($0.split(separator: "/").last ?? $0[...]) }
        let started = run["start"].flatMap(Int.init).map(rfc3339) ?? run["startstr"] ?? ""
        return RunInfo(
            tool: program == "recon" ? "recon" : run["scanner"] ?? "nmap", version: run["version"] ?? "",
            arguments: Array(words.dropFirst()), started: started,
            ended: finished?["time"].flatMap(Int.init).map(rfc3339) ?? "",
            elapsedSeconds: finished?["elapsed"].flatMap(Double.init) ?? 0, complete: complete,
            interruptedBy: interruptedBy, ports: services,
            portCount: scan["numservices"].flatMap(Int.init) ?? ports.ports.count, policy: [],
            // nmap XML does not record these; neutral values (the diff does not use them).
            options: RunOptions(timeoutMode: "adaptive", retries: 0, concurrency: 0, threads: 0),
            localFailures: 0)
    }

    /// Seconds since 1970 as RFC 3339 UTC with milliseconds, as recon writes times.
    static func rfc3339(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).000Z"
    }

    // MARK: Hosts and ports

    /// One `<host>`, or nil when it is not up (nmap scanned no ports of it).
    static func host(_ element: NmapElement) throws(ReportDecodingError) -> HostReport? {
        if let state = element.child("status")?["state"], state != "up" { return nil }
        guard
            let address = element.children("address").first(where: { ["ipv4", "ipv6"].contains($0["addrtype"]) }),
            let addr = address["addr"], let family = address["addrtype"]
        else {
            throw ReportDecodingError("a <host> has no IPv4 or IPv6 <address>")
        }
        let hostname = element.child("hostnames")?.children("hostname").first { $0["type"] == "user" }?["name"]
        var entries: [Int: PortEntry] = [:]
        var summary = StateCounts()
        var closedPorts = PortRanges()
        var closedReasons: [String: Int] = [:]
        var closedCount = 0
        let ports = element.child("ports")
        for extra in ports?.children("extraports") ?? [] {
            let state = try portState(extra["state"] ?? "", at: "<extraports> of \(addr)")
            let count = min(max(extra["count"].flatMap(Int.init) ?? 0, 0), 65536)
            switch state {
            case .closed: summary.closed += count
            case .open: summary.open += count
            case .filtered, .error: summary.filtered += count
            }
            for reasons in extra.children("extrareasons") {
                let reason = portReason(reasons["reason"], state: state)
                let listed = try portRanges(reasons["ports"] ?? "", at: "<extrareasons> of \(addr)")
                if state == .closed {
                    closedPorts = closedPorts.union(listed)
                    closedReasons[reason.rawValue, default: 0] += reasons["count"].flatMap(Int.init) ?? listed.count
                } else {
                    // Filtered (or error) ports nmap collapsed: listed one by one, as recon lists them.
                    for port in listed.ports {
                        entries[Int(port)] = entry(Int(port), state: state, reason: reason)
                    }
                }
            }
            if state == .closed { closedCount += count }
        }
        for port in ports?.children("port") ?? [] where port["protocol"] == "tcp" {
            guard let number = port["portid"].flatMap(Int.init), (1...65535).contains(number) else {
                throw ReportDecodingError("a <port> of \(addr) has no portid from 1 to 65535")
            }
            guard let stateElement = port.child("state") else {
                throw ReportDecodingError("port \(number)/tcp of \(addr) has no <state>")
            }
            let state = try portState(stateElement["state"] ?? "", at: "port \(number)/tcp of \(addr)")
            var entry = entry(number, state: state, reason: portReason(stateElement["reason"], state: state))
            entry.service = port.child("service").map(service)
            if let banner = port.children("script").first(where: { $0["id"] == "banner" })?["output"] {
                entry.banner = CapturedBytes(bannerBytes(banner), truncated: false)
            }
            if entries.updateValue(entry, forKey: number) == nil { summary.add(state) }
        }
        let timing = element.child("times")
        return HostReport(
            address: addr, family: family, hostname: hostname, scopeRule: "",
            ports: entries.keys.sorted().compactMap { entries[$0] },
            closed: closedPorts.count > 0
                ? PortSummary(count: max(closedCount, closedPorts.count), reasons: closedReasons, ports: closedPorts)
                : nil,
            summary: summary,
            timing: HostTiming(
                srttMs: timing?["srtt"].flatMap(Double.init).map { $0 / 1000 },
                rttvarMs: timing?["rttvar"].flatMap(Double.init).map { $0 / 1000 },
                timeoutMs: timing?["to"].flatMap(Double.init).map { $0 / 1000 } ?? 0))
    }

    private static func entry(_ port: Int, state: PortState, reason: PortReason) -> PortEntry {
        PortEntry(PortResult(port: UInt16(port), state: state, reason: reason, rttNanoseconds: nil))
    }

    /// nmap's state word (or recon's `error`); states of scans recon does not make are refused.
    static func portState(_ word: String, at place: String) throws(ReportDecodingError) -> PortState {
        guard let state = PortState(rawValue: word) else {
            throw ReportDecodingError(
                "\(place): state '\(word)' is not one recon compares (open, closed, filtered or error)")
        }
        return state
    }

    /// nmap's reason word as recon's (`reset`, a SYN scan's closed port, is `conn-refused`'s twin);
    /// one recon has no word for reads as the state's usual reason.
    static func portReason(_ word: String?, state: PortState) -> PortReason {
        if let word, let reason = PortReason(rawValue: word) { return reason }
        switch word {
        case "reset": return .connRefused
        case "host-prohibited", "net-prohibited": return .adminProhibited
        default:
            switch state {
            case .open: return .synAck
            case .closed: return .connRefused
            case .filtered, .error: return .noResponse
            }
        }
    }

    /// A port list attribute (`22,80,47300-47310`, as nmap and recon write `ports=`); empty is
    /// none. Read as ranges, never port by port: every host of a large scan has one.
    static func portRanges(_ text: String, at place: String) throws(ReportDecodingError) -> PortRanges {
        var ranges: [ClosedRange<UInt16>] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) where !text.isEmpty {
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let low = bounds.first.flatMap({ UInt16($0) }), let high = UInt16(bounds.last ?? ""),
                low >= 1, low <= high
            else {
                throw ReportDecodingError("\(place): ports=\"\(text)\" is not a port list ('\(item)')")
            }
            ranges.append(low...high)
        }
        return PortRanges(ranges: ranges)
    }

    /// `<service>` and its `<cpe>`s. `method="table"` is the port table; anything else was probed.
    static func service(_ element: NmapElement) -> ServiceMatch {
        ServiceMatch(
            name: element["name"] ?? "unknown", product: element["product"], version: element["version"],
            info: element["extrainfo"], hostname: element["hostname"], os: element["ostype"],
            device: element["devicetype"], cpe: element.children("cpe").map(\.text),
            method: element["method"] == "table" ? .portTable : .probe,
            confidence: element["conf"].flatMap(Int.init) ?? 0, tunnel: element["tunnel"] == "ssl" ? .ssl : nil)
    }

    /// The banner script's output as bytes: escaped text (`\r\n`, `\xHH`, as both recon and
    /// nmap's banner script write it) unescaped; text that is no such escape, as its UTF-8 bytes.
    static func bannerBytes(_ output: String) -> [UInt8] {
        (try? PrintableBytes.unescape(output)) ?? Array(output.utf8)
    }
}

/// The report formats `recon diff` operands and `recon audit --baseline` files are read in:
/// recon's JSON, then nmap XML.
public enum ReportFormats {
    public static let all: [any ReportFileDecoder] = [ReconJSONDecoder(), NmapXMLDecoder()]
}
