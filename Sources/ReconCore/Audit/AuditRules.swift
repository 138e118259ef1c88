/// The audit rules, read from `policies/audit.rules` (format documented there and in the
/// README): blocks that start with `rule ID` and give one setting per line.
public struct AuditRules: Sendable {
    /// Rules in file order (files in the order read); for each place, the first matching rule
    /// makes the finding, so specific rules come before generic ones.
    public private(set) var rules: [AuditRule] = []
    /// Extra requests sent to identified services in an audit (`request` lines).
    public private(set) var requests: [AuditRequest] = []
    /// The files read.
    public private(set) var sources: [String] = []

    public init() {}

    /// Parses rules text; `path` labels rules and errors.
    public init(path: String, text: String) throws(AuditRulesError) {
        sources = [path]
        var draft: RuleDraft?
        for (number, line) in text.numberedLines() {
            var scanner = RuleLineScanner(line)
            if scanner.isAtEnd() { continue }
            let keyword = scanner.word() ?? ""
            if keyword == "rule" || keyword == "request" {
                try append(draft, path: path)
                draft = nil
            }
            do throws(RuleLineError) {
                if keyword == "request" {
                    let request = try AuditRequest(&scanner)
                    guard !requests.contains(where: { $0.name == request.name }) else {
                        throw RuleLineError("request '\(request.name)' is defined twice")
                    }
                    requests.append(request)
                } else if keyword == "rule" {
                    guard let id = scanner.word(), id.unicodeScalars.allSatisfy(MatchRule.isNameCharacter) else {
                        throw RuleLineError("'rule' needs an id (letters, digits, '.', '_', '-')")
                    }
                    guard scanner.isAtEnd() else { throw RuleLineError("'rule' takes only an id") }
                    guard !rules.contains(where: { $0.id == id }) else {
                        throw RuleLineError("rule '\(id)' is defined twice")
                    }
                    draft = RuleDraft(id: id, line: number)
                } else {
                    guard draft != nil else {
                        throw RuleLineError(
                            "unknown line '\(keyword)': expected 'rule ID', 'request NAME' or a rule setting")
                    }
                    try draft?.read(keyword, rest: &scanner)
                }
            } catch {
                throw AuditRulesError(path: path, line: number, message: error.message)
            }
        }
        try append(draft, path: path)
    }

    /// Adds a finished rule; one that lacks a setting is refused at its `rule` line.
    private mutating func append(_ draft: RuleDraft?, path: String) throws(AuditRulesError) {
        guard let draft else { return }
        do throws(RuleLineError) {
            rules.append(try draft.rule(path: path))
        } catch {
            throw AuditRulesError(path: path, line: draft.line, message: error.message)
        }
    }

    /// Reads and parses a rules file from disk.
    public init(contentsOf path: String) throws(AuditRulesError) {
        self = try TextFile.parse(path) { text throws(AuditRulesError) in try AuditRules(path: path, text: text) }
    }

    /// These rules, then `other`'s (an id defined in both keeps this file's rule).
    public func merging(_ other: AuditRules) -> AuditRules {
        var merged = self
        let ids = Set(rules.map(\.id))
        merged.rules += other.rules.filter { !ids.contains($0.id) }
        let names = Set(requests.map(\.name))
        merged.requests += other.requests.filter { !names.contains($0.name) }
        merged.sources += other.sources
        return merged
    }

    /// The rule with this id.
    public func rule(_ id: String) -> AuditRule? { rules.first { $0.id == id } }
}

/// A request an audit sends to a port identified as one of `services`, after identification
/// (`request NAME service NAME[,NAME...] send PAYLOAD`): for disclosures that only show when
/// asked, such as an IRC server's version after registration.
public struct AuditRequest: Sendable, Equatable {
    /// The name its reply is filed under (`inspect reply NAME`).
    public let name: String
    /// Service names (as identified) it is sent to.
    public let services: Set<String>
    /// The bytes sent.
    public let payload: [UInt8]

    /// The path an audit requests from HTTP services to see their error page (`http-error-page`).
    public static let errorPagePath = "/.recon-audit-not-found"
    /// The names that request's reply is filed under, plain and over TLS.
    public static let errorPageProbe = "http-error-page"
    public static let tlsErrorPageProbe = "tls-http-error-page"

    init(_ scanner: inout RuleLineScanner) throws(RuleLineError) {
        guard let name = scanner.word(), name.unicodeScalars.allSatisfy(MatchRule.isNameCharacter) else {
            throw RuleLineError("'request' needs a name (letters, digits, '.', '_', '-')")
        }
        guard scanner.word() == "service", let list = scanner.word() else {
            throw RuleLineError("expected 'request NAME service NAME[,NAME...] send PAYLOAD'")
        }
        guard scanner.word() == "send" else { throw RuleLineError("expected 'send PAYLOAD' after the service names") }
        payload = try ProbePayload.parse(&scanner)
        guard scanner.isAtEnd() else { throw RuleLineError("unexpected text after the payload") }
        self.name = name
        services = Set(list.split(separator: ",").map(String.init))
    }
}

/// A rule being read, one setting line at a time.
private struct RuleDraft {
    let id: String
    let line: Int
    var severity: AuditSeverity?
    var title: String?
    var message: (String, VersionTemplate)?
    var inspections: [AuditInspection] = []
    var pattern: CompiledPattern?
    var remediation: [String] = []
    var hideable = true

    init(id: String, line: Int) {
        self.id = id
        self.line = line
    }

    mutating func read(_ keyword: String, rest scanner: inout RuleLineScanner) throws(RuleLineError) {
        switch keyword {
        case "severity":
            guard severity == nil else { throw RuleLineError("'severity' given twice") }
            let word = scanner.word() ?? ""
            guard let value = AuditSeverity(rawValue: word), scanner.isAtEnd() else {
                throw RuleLineError("severity must be info, low, medium or high, not '\(word)'")
            }
            severity = value
        case "inspect":
            inspections.append(try Self.inspection(&scanner))
        case "match":
            guard pattern == nil else { throw RuleLineError("'match' given twice") }
            guard scanner.take("m") else { throw RuleLineError("expected m|REGEX|[is] after 'match'") }
            let regex = try scanner.delimited("the regex")
            let options = scanner.letters()
            if let bad = options.first(where: { $0 != "i" && $0 != "s" }) {
                throw RuleLineError("unknown regex option '\(bad)' (only 'i' and 's')")
            }
            guard scanner.isAtEnd() else { throw RuleLineError("unexpected text after the regex") }
            do {
                pattern = try CompiledPattern(regex, ignoresCase: options.contains("i"), dotAll: options.contains("s"))
            } catch {
                throw RuleLineError(error.message)
            }
        case "title":
            guard title == nil else { throw RuleLineError("'title' given twice") }
            title = try Self.text(&scanner, keyword)
        case "message":
            guard message == nil else { throw RuleLineError("'message' given twice") }
            let text = try Self.text(&scanner, keyword)
            message = (text, try VersionTemplate(parsing: text))
        case "remediation":
            remediation.append(try Self.text(&scanner, keyword))
        case "cannot-hide":
            guard scanner.isAtEnd() else { throw RuleLineError("'cannot-hide' takes nothing after it") }
            hideable = false
        default:
            throw RuleLineError(
                "unknown setting '\(keyword)': expected severity, inspect, match, title, message, remediation or cannot-hide"
            )
        }
    }

    func rule(path: String) throws(RuleLineError) -> AuditRule {
        var missing: [String] = []
        if severity == nil { missing.append("severity") }
        if inspections.isEmpty { missing.append("inspect") }
        if pattern == nil { missing.append("match") }
        if title == nil { missing.append("title") }
        if remediation.isEmpty { missing.append("remediation") }
        guard let severity, let pattern, let title, missing.isEmpty else {
            throw RuleLineError("rule '\(id)' lacks \(missing.joined(separator: ", "))")
        }
        return AuditRule(
            id: id, severity: severity, title: title, inspections: inspections, message: message?.1, pattern: pattern,
            remediation: remediation.joined(separator: " "), hideable: hideable, origin: "\(path):\(line)")
    }

    /// `banner`, `reply PROBE`, `http-header NAME`, `http-error-page` or `tls-cert FIELD`.
    private static func inspection(_ scanner: inout RuleLineScanner) throws(RuleLineError) -> AuditInspection {
        let kind = scanner.word() ?? ""
        let argument = scanner.word()
        guard scanner.isAtEnd() else { throw RuleLineError("'inspect \(kind)' takes at most one name") }
        switch (kind, argument) {
        case ("banner", nil): return .banner
        case ("http-error-page", nil): return .httpErrorPage
        case ("reply", let probe?): return .reply(probe)
        case ("http-header", let name?): return .httpHeader(name)
        case ("tls-cert", let field?) where AuditInspection.certificateFields.contains(field):
            return .tlsCertificate(field)
        case ("tls-cert", _):
            throw RuleLineError("'inspect tls-cert' takes subject, issuer or san")
        case ("reply", nil), ("http-header", nil):
            throw RuleLineError("'inspect \(kind)' needs a name")
        case ("banner", _), ("http-error-page", _):
            throw RuleLineError("'inspect \(kind)' takes no name")
        default:
            throw RuleLineError(
                "unknown place '\(kind)': expected banner, reply PROBE, http-header NAME, http-error-page or tls-cert FIELD"
            )
        }
    }

    /// The rest of the line as text (a `#` here is part of it).
    private static func text(_ scanner: inout RuleLineScanner, _ keyword: String) throws(RuleLineError) -> String {
        let text = scanner.rest()
        guard !text.isEmpty else { throw RuleLineError("'\(keyword)' needs text") }
        return text
    }
}

/// Names rules files in errors.
public enum AuditRulesFileKind: LineFileKind {
    public static let label: String? = nil
}

/// A malformed or unreadable rules file, with the line at fault.
public typealias AuditRulesError = LineFileError<AuditRulesFileKind>

extension AuditRules {
    /// The label of the built-in rules in errors and reports.
    public static let builtInPath = "built-in policies/audit.rules"

    /// The rules shipped in `policies/audit.rules`, compiled into the binary.
    public static func builtIn() throws(AuditRulesError) -> AuditRules {
        try AuditRules(path: builtInPath, text: EmbeddedPolicies.auditRules)
    }

    /// The rules an audit starts from: the built-in ones, or `folder/audit.rules` instead
    /// (`RECON_POLICIES`), then each of `extra` (`--audit-rules`).
    public static func load(replacing folder: String?, extra: [String]) throws(AuditRulesError) -> AuditRules {
        var rules = try builtIn()
        if let folder { rules = try AuditRules(contentsOf: folder + "/audit.rules") }
        for file in extra { rules = rules.merging(try AuditRules(contentsOf: file)) }
        return rules
    }
}
