/// Runs the audit rules over what probing found and returns the findings. Pure: it reads
/// replies already collected, it sends nothing.
public struct Auditor: Sendable {
    public let rules: AuditRules

    public init(rules: AuditRules) {
        self.rules = rules
    }

    /// Findings for every port of `report` that probing reached, in host, port, rule order.
    public func findings(in report: ScanReport) -> [AuditFinding] {
        report.hosts.flatMap { host in
            host.ports.flatMap { entry in
                findings(host: host.address, hostname: host.hostname, port: entry.port, service: entry.probeDetails)
            }
        }
    }

    /// Findings for one port. Each place (the banner, a header, the error page...) yields at most
    /// one finding: the first rule in file order whose pattern matches there, so a vendor rule
    /// with its own remediation wins over the generic rule after it. A header seen in several
    /// responses counts as one place (the first response wins).
    public func findings(host: String, hostname: String?, port: Int, service: PortService) -> [AuditFinding] {
        let places = InspectedText.all(in: service)
        guard !places.isEmpty else { return [] }
        var claimed: Set<String> = []
        var found: [AuditFinding] = []
        for rule in rules.rules {
            for place in places where rule.inspections.contains(where: { $0.covers(place.place) }) {
                let key = place.place.description.lowercased()
                guard !claimed.contains(key) else { continue }
                guard let match = rule.pattern.match(in: place.text) else { continue }
                claimed.insert(key)
                let start = place.span.lowerBound + match.range.lowerBound
                let matched = Array(place.bytes[start..<(start + match.range.count)])
                let evidence = AuditEvidence(
                    location: place.place.description, exchange: place.exchange, request: place.request,
                    text: PrintableBytes.render(matched), base64: CapturedBytes(matched, truncated: false).base64,
                    offset: start, length: matched.count,
                    context: Self.context(place.bytes, around: start..<(start + matched.count)))
                found.append(
                    AuditFinding(
                        rule: rule.id, severity: rule.severity, title: rule.title,
                        message: rule.message?.render(match.captures) ?? rule.title, host: host, hostname: hostname,
                        port: port, service: service.service?.name, evidence: evidence, remediation: rule.remediation,
                        hideable: rule.hideable,
                        fingerprint: AuditFinding.fingerprint(
                            rule: rule.id, host: host, port: port, place: key),
                        waiver: nil))
            }
        }
        return found.sorted { ($0.evidence.location, $0.rule) < ($1.evidence.location, $1.rule) }
    }

    /// The line of `bytes` holding `range`, printable, cut to 200 characters around the match.
    static func context(_ bytes: [UInt8], around range: Range<Int>) -> String {
        var start = range.lowerBound
        while start > 0, bytes[start - 1] != 0x0A, bytes[start - 1] != 0x0D, range.lowerBound - start < 100 {
            start -= 1
        }
        var end = range.upperBound
        while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D, end - range.upperBound < 100 { end += 1 }
        return String(PrintableBytes.render(Array(bytes[start..<end])).prefix(200))
    }
}
