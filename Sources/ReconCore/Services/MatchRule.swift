/// One `match` or `softmatch` line: a service name, a pattern over reply bytes, and the
/// versioninfo fields filled from its capture groups.
struct MatchRule: Sendable {
    /// The service name (without an `ssl/` prefix).
    let service: String
    /// `ssl` when the line named the service `ssl/NAME`.
    let tunnel: String?
    /// A softmatch names the service only.
    let isSoft: Bool
    let pattern: CompiledPattern
    let prefilter: PatternPrefilter
    let product, version, info, hostname, os, device: VersionTemplate?
    let cpe: [VersionTemplate]

    /// Reads the rest of a match line after the directive:
    /// `SERVICE m|REGEX|[is] [p/.../] [v/.../] [i/.../] [h/.../] [o/.../] [d/.../] [cpe:/.../]...`.
    init(soft isSoft: Bool, line scanner: inout RuleLineScanner) throws(RuleLineError) {
        guard let name = scanner.word() else { throw RuleLineError("expected a service name") }
        if name.hasPrefix("ssl/") {
            service = String(name.dropFirst(4))
            tunnel = "ssl"
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

    /// The service match for `subject`, or nil if the pattern does not match it.
    func match(_ subject: MatchSubject) -> ServiceMatch? {
        guard prefilter.admits(subject),
            let captures = pattern.captures(in: subject.text, anchored: prefilter.isAnchored)
        else { return nil }
        return ServiceMatch(
            name: service, product: product?.render(captures), version: version?.render(captures),
            info: info?.render(captures), hostname: hostname?.render(captures), os: os?.render(captures),
            device: device?.render(captures), cpe: cpe.compactMap { Self.cpeName($0.render(captures)) }, method: "",
            confidence: isSoft ? 5 : 10, tunnel: tunnel)
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

/// A compiled regex over Latin-1 text (one character per reply byte). Swift's `Regex` is not
/// marked `Sendable`, but matching does not mutate it (its program is compiled once, with an
/// atomic store), so one instance is shared by all threads.
final class CompiledPattern: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>

    init(_ source: String, ignoresCase: Bool, dotAll: Bool) throws(RuleLineError) {
        var regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(Self.swiftSyntax(source))
        } catch {
            let reason = "\(error)".split(separator: "\n").first.map(String.init) ?? "invalid"
            throw RuleLineError("regex does not compile: \(reason)")
        }
        // Byte semantics like PCRE's: one scalar per byte, ASCII-only \d \w \s, `\r\n` two characters.
        regex = regex.matchingSemantics(.unicodeScalar).asciiOnlyCharacterClasses().wordBoundaryKind(.simple)
        if ignoresCase { regex = regex.ignoresCase() }
        if dotAll { regex = regex.dotMatchesNewlines() }
        self.regex = regex
    }

    /// The pattern with PCRE's character class rules spelled for Swift: a `]` first in a class
    /// (`[]x]`, `[^]x]`) and a `[` inside one are literal there, and so are `&&`, `~~` and `--`
    /// (set operations in Swift).
    static func swiftSyntax(_ pattern: String) -> String {
        let scalars = Array(pattern.unicodeScalars)
        var result = String.UnicodeScalarView()
        var inClass = false
        var index = 0
        func escaped(_ scalar: Unicode.Scalar) { result.append(contentsOf: "\\".unicodeScalars + [scalar]) }
        while index < scalars.count {
            let scalar = scalars[index]
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            if scalar == "\\", let next {
                result.append(contentsOf: [scalar, next])
                index += 2
                continue
            }
            if !inClass {
                result.append(scalar)
                if scalar == "[" {
                    inClass = true
                    if next == "^" {
                        result.append("^")
                        index += 1
                    }
                    if index + 1 < scalars.count, scalars[index + 1] == "]" {
                        escaped("]")
                        index += 1
                    }
                }
            } else if scalar == "[", next == ":", let close = scalars[(index + 2)...].firstIndex(of: "]") {
                result.append(contentsOf: scalars[index...close])
                index = close
            } else if scalar == "[" || ("&~-".unicodeScalars.contains(scalar) && next == scalar) {
                escaped(scalar)
            } else {
                if scalar == "]" { inClass = false }
                result.append(scalar)
            }
            index += 1
        }
        return String(result)
    }

    /// The match at the start of `text` (`anchored`) or the first anywhere: its range in
    /// scalars (bytes, for Latin-1 text) and the bytes of each group (index 0 the whole match).
    func match(in text: String, anchored: Bool = false) -> (range: Range<Int>, captures: [[UInt8]?])? {
        let found: Regex<AnyRegexOutput>.Match?
        do {
            found = anchored ? try regex.prefixMatch(in: text) : try regex.firstMatch(in: text)
        } catch {
            return nil
        }
        guard let found else { return nil }
        let scalars = text.unicodeScalars
        let start = scalars.distance(from: scalars.startIndex, to: found.range.lowerBound)
        let length = scalars.distance(from: found.range.lowerBound, to: found.range.upperBound)
        return (start..<(start + length), found.output.map { $0.substring.map(Latin1.bytes) })
    }

    /// The bytes of each group of `match(in:anchored:)`, or nil without a match.
    func captures(in text: String, anchored: Bool) -> [[UInt8]?]? {
        match(in: text, anchored: anchored)?.captures
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
