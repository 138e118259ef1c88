/// A scope policy file: one rule per line, `allow ADDRESS[/PREFIX]` or `deny ADDRESS[/PREFIX]`,
/// `#` starts a comment. Host names are not accepted: a policy names addresses. A block wider
/// than a /8 (`0.0.0.0/0`, `::/0`) is allowed only as `allow-wide`, so it cannot happen by slip.
public struct PolicyFile: Sendable {
    /// The path the rules were read from (used as their origin).
    public let path: String
    /// The rules in file order.
    public let rules: [ScopeRule]
    /// The `allow-wide` rules: callers say on standard error that they are in force.
    public var wideRules: [ScopeRule] { rules.filter { $0.action == .allow && $0.block.isWide } }

    /// Parses policy text; `path` only labels rules and errors.
    public init(path: String, text: String) throws(PolicyFileError) {
        self.path = path
        var rules: [ScopeRule] = []
        for (index, content) in text.linesWithoutComments().enumerated() {
            let lineNumber = index + 1
            let words = content.words()
            if words.isEmpty { continue }
            let fail = { (message: String) in PolicyFileError(path: path, line: lineNumber, message: message) }
            let keyword = String(words[0]).lowercased()
            let acknowledgesWide = keyword == "allow-wide"
            guard let action = acknowledgesWide ? .allow : ScopeAction(rawValue: keyword) else {
                throw fail("expected 'allow', 'allow-wide' or 'deny', found '\(words[0])'")
            }
            guard words.count == 2 else {
                throw fail("'\(keyword)' takes exactly one address or CIDR block")
            }
            guard let block = CIDRBlock(String(words[1])) else {
                let hint =
                    words[1].contains("/") ? "a prefix is plain decimal, e.g. /24" : "host names are not accepted"
                throw fail("'\(words[1])' is not an IP address or CIDR block (\(hint))")
            }
            if action == .allow && block.isWide && !acknowledgesWide {
                throw fail(
                    "'allow \(words[1])' covers more than a /8 (\(block)): write 'allow-wide \(words[1])' "
                        + "if you really own all of it")
            }
            if acknowledgesWide && !block.isWide {
                throw fail("'allow-wide' is for blocks wider than a /8; write 'allow \(words[1])'")
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
