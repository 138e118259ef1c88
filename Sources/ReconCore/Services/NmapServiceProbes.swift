extension ServiceRules {
    /// Reads nmap's `nmap-service-probes` format: the matches of its `NULL` probe become `banner`
    /// rules and those of `GetRequest` become `http` rules; everything else (other probes, `ports`,
    /// `sslports`, `rarity`, `fallback`, `totalwaittime`, `Exclude`, ...) is ignored. Match lines
    /// recon cannot use (a regex PCRE2 cannot compile, or an unknown substitution) are skipped and counted in
    /// `skippedMatchCount`; a file without any `Probe` line is refused.
    public static func nmapServiceProbes(path: String, text: String) throws(ServiceRulesError) -> ServiceRules {
        try nmapServiceProbes(path: path, text: text, matches: true)
    }

    /// Checks the structure of the nmap-service-probes file at `path` (readable, `Probe` lines
    /// well formed, no match before the first) without compiling its matches: the errors that
    /// `nmapServiceProbes(contentsOf:)` would throw, at a fraction of its cost.
    public static func checkNmapServiceProbes(contentsOf path: String) throws(ServiceRulesError) {
        _ = try TextFile.parse(path) { text throws(ServiceRulesError) in
            try nmapServiceProbes(path: path, text: text, matches: false)
        }
    }

    private static func nmapServiceProbes(path: String, text: String, matches: Bool) throws(ServiceRulesError)
        -> ServiceRules
    {
        var rules = ServiceRules()
        var section: String?
        var sawProbe = false
        for (number, line) in text.numberedLines() {
            var scanner = RuleLineScanner(line)
            if scanner.isAtEnd() { continue }
            switch scanner.word() {
            case "Probe":
                sawProbe = true
                let (proto, name) = (scanner.word(), scanner.word())
                guard let proto, let name, proto == "TCP" || proto == "UDP" else {
                    throw ServiceRulesError(path: path, line: number, message: "expected 'Probe TCP|UDP NAME q|...|'")
                }
                section = proto == "TCP" ? ["NULL": ProbeName.banner, "GetRequest": ProbeName.http][name] : nil
                if section == nil { rules.nmapUnsentProbeCount += 1 }
            case let directive where directive == "match" || directive == "softmatch":
                guard sawProbe else {
                    throw ServiceRulesError(
                        path: path, line: number, message: "'\(directive ?? "")' before any Probe line")
                }
                guard let section else {
                    rules.nmapUnsentMatchCount += 1
                    continue
                }
                guard matches else { continue }
                do {
                    rules.appendRule(
                        try MatchRule(
                            soft: directive == "softmatch", line: &scanner, origin: "\(path):\(number)"),
                        probe: section)
                } catch {
                    rules.countSkippedMatch()
                }
            default:
                continue
            }
        }
        guard sawProbe else {
            throw ServiceRulesError(path: path, line: 0, message: "no 'Probe' line: not an nmap-service-probes file")
        }
        rules.nmapUsedMatchCount = rules.matchCount
        rules.buildIndex()
        return rules
    }

    /// One line on what recon could not use of an nmap-service-probes file (nil when it used
    /// everything): the match lines PCRE2 or recon's fields refused, and those of the probes
    /// recon does not send.
    public var nmapProbesNote: String? {
        guard skippedMatchCount + nmapUnsentMatchCount > 0 else { return nil }
        return "--nmap-probes: \(skippedMatchCount + nmapUnsentMatchCount) match lines not used"
            + " (\(skippedMatchCount) with a regex or field recon cannot read,"
            + " \(nmapUnsentMatchCount) under the \(nmapUnsentProbeCount) probes other than NULL and GetRequest,"
            + " which recon does not send); \(nmapUsedMatchCount) used"
    }

    /// The match rules of the nmap-service-probes file at `path` (see `nmapServiceProbes(path:text:)`).
    public static func nmapServiceProbes(contentsOf path: String) throws(ServiceRulesError) -> ServiceRules {
        try TextFile.parse(path) { text throws(ServiceRulesError) in try nmapServiceProbes(path: path, text: text) }
    }
}
