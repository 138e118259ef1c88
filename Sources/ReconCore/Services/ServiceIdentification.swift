extension ServiceRules {
    /// Replies longer than this are matched on their first bytes only.
    static let matchedReplyLimit = 16 * 1024

    /// Best identification from the replies (in the order given). Hard match beats softmatch;
    /// earlier reply wins among equals; port table only if nothing matched (then method
    /// "port-table"). A reply is tried against its probe's rules (`tls-http` replies also against
    /// `http` rules), then the `any` rules, in file order.
    public func identify(port: UInt16, replies: [ProbeReply], tunnel: String?) -> ServiceMatch? {
        var softMatch: ServiceMatch?
        for reply in replies where !reply.bytes.isEmpty {
            let subject = MatchSubject(Array(reply.bytes.prefix(Self.matchedReplyLimit)))
            for section in Self.sections(for: reply.probe) {
                guard let index = indexByProbe[section] else { continue }
                for rule in index.rules(startingWith: reply.bytes[0]) where !(rule.isSoft && softMatch != nil) {
                    guard var match = rule.match(subject) else { continue }
                    match.method = reply.probe == "banner" ? "banner" : "probe"
                    match.probe = reply.probe
                    match.tunnel = match.tunnel ?? tunnel ?? (reply.probe == "tls-http" ? "ssl" : nil)
                    if !rule.isSoft { return match }
                    softMatch = match
                }
            }
        }
        if let softMatch { return softMatch }
        guard let name = portTable[port] else { return nil }
        return ServiceMatch(name: name, method: "port-table", confidence: 3, tunnel: tunnel)
    }

    /// The rule sections a reply to `probe` is tried against, in order.
    private static func sections(for probe: String) -> [String] {
        probe == "tls-http" ? ["tls-http", "http", "any"] : [probe, "any"]
    }
}
