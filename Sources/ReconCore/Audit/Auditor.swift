/// Runs the audit rules over what probing found and returns the findings. Pure: it reads
/// replies already collected, it sends nothing.
public struct Auditor: Sendable {
    public let rules: AuditRules

    public init(rules: AuditRules) {
        self.rules = rules
    }

    /// Findings for every port of `report` that probing reached, in host, port, rule order.
    /// Each port's matching gets a budget of `limits` and `portTime` nanoseconds; `shouldStop`
    /// (asked between matches) ends the audit early with what it found so far.
    public func audit(
        _ report: ScanReport, limits: MatchLimits = .standard, portTime: Int64 = MatchBudget.standardPortTime,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) -> AuditOutcome {
        var outcome = AuditOutcome()
        for host in report.hosts {
            for entry in host.ports {
                let service = entry.probeDetails
                var budget = MatchBudget(limits: limits, nanoseconds: portTime, shouldStop: shouldStop)
                let port = audit(
                    host: host.address, hostname: host.hostname, port: entry.port, service: service, budget: &budget)
                outcome.findings += port.findings
                outcome.diagnostics += port.diagnostics
                if port.stopped {
                    outcome.stopped = true
                    return outcome
                }
            }
        }
        return outcome
    }

    /// Findings for one port. Each place (the banner, a header, the error page...) yields at most
    /// one finding: the first rule in file order whose pattern matches there, so a vendor rule
    /// with its own remediation wins over the generic rule after it. A header seen in several
    /// responses counts as one place (the first response wins). A rule that reaches a limit of
    /// `budget` at a place does not match there and is reported once; when the budget's time is
    /// spent the rules left are skipped (reported once); a stop request ends it quietly.
    public func audit(
        host: String, hostname: String?, port: Int, service: PortService, budget: inout MatchBudget
    ) -> AuditOutcome {
        let places = InspectedText.all(in: service)
        guard !places.isEmpty else { return AuditOutcome() }
        return budget.spend { matcher, clock in
            var outcome = AuditOutcome()
            var claimed: Set<String> = []
            var found: [AuditFinding] = []
            rules: for rule in rules.rules {
                for place in places where rule.inspections.contains(where: { $0.covers(place.place) }) {
                    let key = place.place.description.lowercased()
                    guard !claimed.contains(key) else { continue }
                    if let interruption = clock.check() {
                        if interruption == .stopped {
                            outcome.stopped = true
                        } else {
                            outcome.diagnostics.note(
                                MatchDiagnostic(
                                    stage: .audit, cause: .portTime, rule: rule.id, place: place.place.description,
                                    host: host, port: port))
                        }
                        break rules
                    }
                    let range: Range<Int>
                    let captures: [[UInt8]?]
                    switch rule.pattern.match(place.text, with: matcher) {
                    case .noMatch:
                        continue
                    case .limitExceeded:
                        outcome.diagnostics.note(
                            MatchDiagnostic(
                                stage: .audit, cause: .ruleLimit, rule: rule.id, place: place.place.description,
                                host: host, port: port))
                        continue
                    case .match(let matched, let groups):
                        (range, captures) = (matched, groups)
                    }
                    claimed.insert(key)
                    found.append(finding(rule, place, range, captures, host, hostname, port, service))
                }
            }
            outcome.findings = found.sorted { ($0.evidence.location, $0.rule) < ($1.evidence.location, $1.rule) }
            return outcome
        }
    }

    /// `audit(host:hostname:port:service:budget:)` with a fresh standard budget: the findings only.
    public func findings(host: String, hostname: String?, port: Int, service: PortService) -> [AuditFinding] {
        var budget = MatchBudget()
        return audit(host: host, hostname: hostname, port: port, service: service, budget: &budget).findings
    }

    /// The finding of `rule` matching `range` (relative to the place's span) of `place`.
    private func finding(
        _ rule: AuditRule, _ place: InspectedText, _ range: Range<Int>, _ captures: [[UInt8]?], _ host: String,
        _ hostname: String?, _ port: Int, _ service: PortService
    ) -> AuditFinding {
        let start = place.span.lowerBound + range.lowerBound
        let matched = Array(place.bytes[start..<(start + range.count)])
        let evidence = AuditEvidence(
            location: place.place.description, exchange: place.exchange, request: place.request,
            text: PrintableBytes.render(matched), base64: CapturedBytes(matched, truncated: false).base64,
            offset: start, length: matched.count,
            context: Self.context(place.bytes, around: start..<(start + matched.count)))
        return AuditFinding(
            rule: rule.id, severity: rule.severity, title: rule.title,
            message: rule.message?.render(captures) ?? rule.title, host: host, hostname: hostname, port: port,
            service: service.service?.name, evidence: evidence, remediation: rule.remediation, hideable: rule.hideable,
            fingerprint: AuditFinding.fingerprint(
                rule: rule.id, host: host, port: port, place: place.place.description.lowercased()),
            waiver: nil)
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

/// What auditing gave: the findings, the rules whose matching was cut short, and whether a
/// stop request ended it early (the findings are then those made before it).
public struct AuditOutcome: Sendable {
    public var findings: [AuditFinding] = []
    public var diagnostics: [MatchDiagnostic] = []
    public var stopped = false
}
