/// Reads one rules line from left to right: words, and delimited fields such as `m|...|`
/// where the character after the prefix is the delimiter (nmap's syntax).
struct RuleLineScanner {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ line: some StringProtocol) {
        scalars = Array(line.unicodeScalars)
    }

    /// True when only spaces or a `#` comment remain.
    mutating func isAtEnd() -> Bool {
        skipSpaces()
        return position == scalars.count || scalars[position] == "#"
    }

    /// The next word, up to a space or the end of the line.
    mutating func word() -> String? {
        skipSpaces()
        let start = position
        while position < scalars.count, !Self.isSpace(scalars[position]) { position += 1 }
        return start == position ? nil : String(String.UnicodeScalarView(scalars[start..<position]))
    }

    /// Consumes `prefix` if the line continues with it here (after spaces).
    mutating func take(_ prefix: String) -> Bool {
        skipSpaces()
        let wanted = Array(prefix.unicodeScalars)
        guard scalars[position...].starts(with: wanted) else { return false }
        position += wanted.count
        return true
    }

    /// A field `<d>text<d>` starting here: the text, which cannot contain the delimiter `d`.
    /// With `escapes`, a backslash keeps the next character, delimiter included, in the text
    /// (escapes are left for the caller to decode).
    mutating func delimited(_ what: String, escapes: Bool = false) throws(RuleLineError) -> String {
        guard position < scalars.count, Self.isDelimiter(scalars[position]) else {
            let found = position < scalars.count ? "'\(scalars[position])'" : "the end of the line"
            throw RuleLineError("bad delimiter for \(what): expected a punctuation character, found \(found)")
        }
        let delimiter = scalars[position]
        let start = position + 1
        var end = start
        while end < scalars.count, scalars[end] != delimiter {
            end += escapes && scalars[end] == "\\" ? 2 : 1
        }
        guard end < scalars.count else {
            throw RuleLineError("\(what) is missing its closing '\(delimiter)'")
        }
        position = end + 1
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }

    /// Letters directly at the current position (no spaces skipped), such as regex options.
    mutating func letters() -> String {
        let start = position
        while position < scalars.count, scalars[position].properties.isAlphabetic { position += 1 }
        return String(String.UnicodeScalarView(scalars[start..<position]))
    }

    /// The rest of the line, spaces around it removed, `#` included: free text.
    mutating func rest() -> String {
        skipSpaces()
        var end = scalars.count
        while end > position, Self.isSpace(scalars[end - 1]) { end -= 1 }
        defer { position = scalars.count }
        return String(String.UnicodeScalarView(scalars[position..<end]))
    }

    /// True if the next character ends the current field (space, end, comment).
    var isAtFieldEnd: Bool {
        position == scalars.count || Self.isSpace(scalars[position])
    }

    private mutating func skipSpaces() {
        while position < scalars.count, Self.isSpace(scalars[position]) { position += 1 }
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\r"
    }

    /// Printable ASCII punctuation: letters, digits and spaces would make fields ambiguous.
    private static func isDelimiter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCIIPunctuation
    }
}

/// Why a line could not be read; the caller adds the file and line.
struct RuleLineError: Error {
    /// What is wrong, in one line.
    let message: String

    init(_ message: String) {
        self.message = message
    }
}
