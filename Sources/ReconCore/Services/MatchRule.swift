/// One `match` or `softmatch` line: a service name, a pattern over reply bytes, and the
/// versioninfo fields filled from its capture groups.
struct MatchRule: Sendable {
    /// The service name (without an `ssl/` prefix).
    let service: String
    /// `ssl` when the line named the service `ssl/NAME`.
    let tunnel: Tunnel?
    /// A softmatch names the service only.
    let isSoft: Bool
    let pattern: CompiledPattern
    let prefilter: PatternPrefilter
    let product, version, info, hostname, os, device: VersionTemplate?
    let cpe: [VersionTemplate]
    /// `FILE:LINE` of the line, naming the rule in diagnostics.
    let origin: String

    /// Reads the rest of a match line after the directive:
    /// `SERVICE m|REGEX|[is] [p/.../] [v/.../] [i/.../] [h/.../] [o/.../] [d/.../] [cpe:/.../]...`.
    init(soft isSoft: Bool, line scanner: inout RuleLineScanner, origin: String) throws(RuleLineError) {
        self.origin = origin
        guard let name = scanner.word() else { throw RuleLineError("expected a service name") }
        if name.hasPrefix("ssl/") {
            service = String(name.dropFirst(4))
            tunnel = .ssl
        } else {
            service = name
            tunnel = nil
        }
        guard !service.isEmpty, service.unicodeScalars.allSatisfy(Self.isNameCharacter) else {
            throw RuleLineError("'\(name)' is not a service name (letters, digits, '.', '_', '-')")
        }
        self.isSoft = isSoft
        guard scanner.take("m") else { throw RuleLineError("expected m|REGEX| after the service name") }
        let regex = try scanner.delimited("the regex")
        let options = scanner.letters()
        if let bad = options.first(where: { $0 != "i" && $0 != "s" }) {
            throw RuleLineError("unknown regex option '\(bad)' (only 'i' and 's')")
        }
        pattern = try CompiledPattern(regex, ignoresCase: options.contains("i"), dotAll: options.contains("s"))
        prefilter = PatternPrefilter(pattern: regex, caseInsensitive: options.contains("i"))

        var fields: [String: VersionTemplate] = [:]
        var cpe: [VersionTemplate] = []
        while !scanner.isAtEnd() {
            if scanner.take("cpe:") {
                cpe.append(try VersionTemplate(parsing: "cpe:/" + scanner.delimited("cpe:")))
                let flags = scanner.letters()
                guard flags.isEmpty || flags == "a" else { throw RuleLineError("unknown cpe flag '\(flags)'") }
            } else if let key = scanner.letters().nilIfEmpty, key.count == 1, "pvihod".contains(key) {
                guard fields[key] == nil else { throw RuleLineError("field '\(key)' given twice") }
                fields[key] = try VersionTemplate(parsing: scanner.delimited("field '\(key)'"))
            } else {
                throw RuleLineError("unknown versioninfo field; expected p/ v/ i/ h/ o/ d/ or cpe:/")
            }
            guard scanner.isAtFieldEnd else { throw RuleLineError("expected a space after a versioninfo field") }
        }
        (product, version, info) = (fields["p"], fields["v"], fields["i"])
        (hostname, os, device) = (fields["h"], fields["o"], fields["d"])
        self.cpe = cpe
    }

    /// What matching one subject gave.
    enum Outcome {
        case match(ServiceMatch)
        case noMatch
        /// The match reached a limit of the budget: no match, and worth telling.
        case limitExceeded
    }

    /// The regex run on `subject` (which the prefilter admitted) within `matcher`'s limits.
    func evaluate(_ subject: MatchSubject, with matcher: Matcher) -> Outcome {
        switch pattern.match(subject.bytes[...], anchored: prefilter.isAnchored, with: matcher) {
        case .noMatch: return .noMatch
        case .limitExceeded: return .limitExceeded
        case .match(_, let captures): return .match(serviceMatch(captures))
        }
    }

    private func serviceMatch(_ captures: [[UInt8]?]) -> ServiceMatch {
        // `method` and `probe` are set by the caller, which knows which reply matched.
        ServiceMatch(
            name: service, product: product?.render(captures), version: version?.render(captures),
            info: info?.render(captures), hostname: hostname?.render(captures), os: os?.render(captures),
            device: device?.render(captures), cpe: cpe.compactMap { Self.cpeName($0.render(captures)) },
            method: .probe, confidence: isSoft ? 5 : 10, tunnel: tunnel)
    }

    /// A CPE without the trailing `:` an empty version group leaves (`cpe:/a:nginx:nginx:`).
    private static func cpeName(_ rendered: String?) -> String? {
        guard var name = rendered else { return nil }
        while name.hasSuffix(":") { name.removeLast() }
        return name
    }

    static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII
            && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
