/// What identifying one port's replies gave: the match, rules cut short, and whether a stop
/// request ended it early.
public struct Identification: Sendable {
    /// The best identification found (before a stop or the end of the time budget, the best so far).
    public var match: ServiceMatch?
    /// Rules that reached their budget, or where the time ran out; the host is left empty.
    public var diagnostics: [MatchDiagnostic] = []
    /// True when a stop request ended the matching early.
    public var stopped = false
    /// True when a stop request or the end of the time budget left rules untried.
    public var cutShort = false
}

extension ServiceRules {
    /// Replies longer than this are matched on their first bytes only.
    public static let matchedReplyLimit = 16 * 1024

    /// Best identification from the replies (in the order given). Hard match beats softmatch;
    /// among hard matches one with a version beats one with only a product, which beats one
    /// with neither (a service often names itself to one probe and its version to another);
    /// among those the reply to the probe named like the service, then the earlier reply wins; port table only if nothing matched (then method
    /// "port-table"). A reply is tried against its probe's rules (`tls-http` replies also against
    /// `http` rules), then the `any` rules, in file order; the first rule that matches a reply
    /// is that reply's match.
    ///
    /// Each match is bounded by `budget`'s limits (a rule that reaches one does not match and is
    /// reported), all of them by its time (spent here; the rest is left for the next call), and
    /// a stop request ends the matching between two rules.
    public func identify(port: UInt16, replies: [ProbeReply], tunnel: Tunnel?, budget: inout MatchBudget)
        -> Identification
    {
        budget.spend { matcher, clock in
            identify(port: port, replies: replies, tunnel: tunnel, matcher: matcher, clock: clock)
        }
    }

    /// `identify(port:replies:tunnel:budget:)` with a fresh standard budget, diagnostics dropped.
    public func identify(port: UInt16, replies: [ProbeReply], tunnel: Tunnel?) -> ServiceMatch? {
        var budget = MatchBudget()
        return identify(port: port, replies: replies, tunnel: tunnel, budget: &budget).match
    }

    private func identify(
        port: UInt16, replies: [ProbeReply], tunnel: Tunnel?, matcher: Matcher, clock: MatchClock
    ) -> Identification {
        var result = Identification()
        var softMatch: ServiceMatch?
        /// The best hard match so far, and how much it tells (2 bare, 4 product, 6 version; one
        /// more for the reply to the service's own probe).
        var hardMatch: ServiceMatch?
        var hardRank = 0
        replies: for reply in replies where !reply.bytes.isEmpty {
            let subject = MatchSubject(Array(reply.bytes.prefix(Self.matchedReplyLimit)))
            let place = reply.probe == ProbeName.banner ? ProbeName.banner : "reply \(reply.probe)"
            for section in Self.sections(for: reply.probe) {
                guard let index = indexByProbe[section] else { continue }
                for rule in index.rules(startingWith: reply.bytes[0]) where !(rule.isSoft && softMatch != nil) {
                    guard rule.prefilter.admits(subject) else { continue }
                    if let interruption = clock.check() {
                        result.cutShort = true
                        if interruption == .stopped {
                            result.stopped = true
                        } else {
                            result.diagnostics.note(
                                MatchDiagnostic(
                                    stage: .service, cause: .portTime, rule: rule.origin, place: place,
                                    port: Int(port)))
                        }
                        break replies
                    }
                    switch rule.evaluate(subject, with: matcher) {
                    case .noMatch:
                        continue
                    case .limitExceeded:
                        result.diagnostics.note(
                            MatchDiagnostic(
                                stage: .service, cause: .ruleLimit, rule: rule.origin, place: place, port: Int(port)))
                    case .match(var match):
                        match.method = reply.probe == ProbeName.banner ? .banner : .probe
                        match.probe = reply.probe
                        match.tunnel = match.tunnel ?? tunnel ?? (reply.probe == ProbeName.tlsHTTP ? .ssl : nil)
                        if !rule.isSoft {
                            // Among equals, the reply to the service's own probe (Redis's answer
                            // to the redis probe rather than its error to another one).
                            let rank =
                                (match.version != nil ? 6 : match.product != nil ? 4 : 2)
                                + (reply.probe == match.name ? 1 : 0)
                            if rank >= 6 {
                                result.match = match
                                return result
                            }
                            if rank > hardRank { (hardMatch, hardRank) = (match, rank) }
                            continue replies
                        }
                        softMatch = match
                    }
                }
            }
        }
        if let hardMatch {
            result.match = hardMatch
        } else if let softMatch {
            result.match = softMatch
        } else if let name = portTable[port] {
            result.match = ServiceMatch(name: name, method: .portTable, confidence: 3, tunnel: tunnel)
        }
        return result
    }

    /// The rule sections a reply to `probe` is tried against, in order.
    private static func sections(for probe: String) -> [String] {
        probe == ProbeName.tlsHTTP ? [ProbeName.tlsHTTP, ProbeName.http, ProbeName.any] : [probe, ProbeName.any]
    }
}
