/// A scope policy file: one rule per line, `allow ADDRESS[/PREFIX]` or `deny ADDRESS[/PREFIX]`,
/// `#` starts a comment. Host names are not accepted: a policy names addresses.
public struct PolicyFile: Sendable {
    /// The path the rules were read from (used as their origin).
    public let path: String
    /// The rules in file order.
    public let rules: [ScopeRule]

    /// Parses policy text; `path` only labels rules and errors.
    public init(path: String, text: String) throws(PolicyFileError) {
        self.path = path
        var rules: [ScopeRule] = []
        for (index, content) in text.linesWithoutComments().enumerated() {
            let lineNumber = index + 1
            let words = content.words()
            if words.isEmpty { continue }
            let fail = { (message: String) in PolicyFileError(path: path, line: lineNumber, message: message) }
            guard let action = ScopeAction(rawValue: String(words[0]).lowercased()) else {
                throw fail("expected 'allow' or 'deny', found '\(words[0])'")
            }
            guard words.count == 2 else {
                throw fail("'\(action.rawValue)' takes exactly one address or CIDR block")
            }
            guard let block = CIDRBlock(String(words[1])) else {
                throw fail("'\(words[1])' is not an IP address or CIDR block (host names are not accepted)")
            }
            rules.append(ScopeRule(action: action, block: block, origin: "\(path):\(lineNumber)"))
        }
        self.rules = rules
    }

    /// Reads and parses a policy file from disk.
    public init(contentsOf path: String) throws(PolicyFileError) {
        self = try TextFile.parse(path) { text throws(PolicyFileError) in try PolicyFile(path: path, text: text) }
    }
}

/// Names policy files in errors.
public enum PolicyFileKind: LineFileKind {
    public static let label: String? = "policy"
}

/// A malformed or unreadable policy file, with the line at fault.
public typealias PolicyFileError = LineFileError<PolicyFileKind>
