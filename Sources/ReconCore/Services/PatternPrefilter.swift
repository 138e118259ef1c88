#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Cheap byte checks that turn away most replies before a regex runs: the literal text a
/// pattern starts with (after `^`) and literal runs every match must contain. Built by reading
/// the pattern's top-level sequence; anything it does not understand makes it check nothing.
struct PatternPrefilter: Sendable {
    /// Bytes a reply must start with.
    private(set) var prefix: [UInt8] = []
    /// Byte strings a reply must contain, longest first.
    private(set) var requiredLiterals: [[UInt8]] = []
    /// Compare ASCII letters without case (the pattern ignores case).
    let caseInsensitive: Bool
    /// The pattern starts with `^` and has no top-level `|`: it can only match at the start.
    private(set) var isAnchored = false

    init(pattern: String, caseInsensitive: Bool) {
        self.caseInsensitive = caseInsensitive
        var reader = LiteralReader(pattern: Array(pattern.unicodeScalars), caseInsensitive: caseInsensitive)
        isAnchored = reader.isAnchored()
        guard let literals = reader.read() else { return }
        prefix = literals.prefix
        requiredLiterals = literals.runs.filter { $0.count >= 2 }.sorted { $0.count > $1.count }
    }

    /// False if `subject` cannot match the pattern.
    func admits(_ subject: MatchSubject) -> Bool {
        let haystack = caseInsensitive ? subject.lowercased : subject.bytes
        if !prefix.isEmpty && !haystack.starts(with: prefix) { return false }
        return requiredLiterals.allSatisfy { ByteSearch.contains(haystack, $0) }
    }
}

/// A reply prepared for matching: its bytes and their ASCII-lowercased form.
struct MatchSubject {
    let bytes: [UInt8]
    let lowercased: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        lowercased = bytes.map(\.asciiLowercased)
    }
}

/// Substring search over bytes: `memchr` to the next candidate, `memcmp` to confirm.
enum ByteSearch {
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { wanted in
                guard let hayStart = hay.baseAddress, let wantedStart = wanted.baseAddress else { return false }
                let first = Int32(wanted[0])
                var offset = 0
                let last = hay.count - wanted.count
                while offset <= last {
                    guard let found = memchr(hayStart + offset, first, last - offset + 1) else { return false }
                    let position = hayStart.distance(to: UnsafeRawPointer(found))
                    if memcmp(hayStart + position, wantedStart, wanted.count) == 0 { return true }
                    offset = position + 1
                }
                return false
            }
        }
    }
}

/// Walks a regex's top level, atom by atom, collecting the runs of literal bytes that every
/// match contains. Returns nil for constructs it does not follow (top-level `|`, inline flags).
private struct LiteralReader {
    let pattern: [Unicode.Scalar]
    let caseInsensitive: Bool
    var index = 0
    var runs: [[UInt8]] = []
    var run: [UInt8] = []
    var prefix: [UInt8] = []
    var prefixOpen = false

    init(pattern: [Unicode.Scalar], caseInsensitive: Bool) {
        self.pattern = pattern
        self.caseInsensitive = caseInsensitive
    }

    /// An atom: a literal byte, or something else (class, group, `.`, anchor).
    private enum Atom {
        case literal(UInt8)
        case other
    }

    /// True if the pattern starts with `^` and has no `|` outside groups and classes.
    func isAnchored() -> Bool {
        guard pattern.first == "^" else { return false }
        var position = 1
        while position < pattern.count {
            switch pattern[position] {
            case "\\":
                position += 1
            case "(":
                guard let end = groupEnd(from: position) else { return false }
                position = end
            case "[":
                guard let end = classEnd(from: position) else { return false }
                position = end
            case "|":
                return false
            default:
                break
            }
            position += 1
        }
        return true
    }

    mutating func read() -> (prefix: [UInt8], runs: [[UInt8]])? {
        let anchored = pattern.first == "^"
        if anchored {
            index = 1
            prefixOpen = true
        }
        while index < pattern.count {
            guard let atom = nextAtom() else { return nil }
            guard let minimum = quantifierMinimum() else { return nil }
            switch (atom, minimum) {
            case (.literal(let byte), nil):
                run.append(byte)
            case (.literal(let byte), let count?) where count > 0:
                run.append(byte)
                endRun()
            default:
                endRun()
            }
        }
        endRun()
        return (prefix, runs)
    }

    private mutating func endRun() {
        if prefixOpen {
            prefix = run
            prefixOpen = false
        } else if !run.isEmpty {
            runs.append(run)
        }
        run = []
    }

    private mutating func nextAtom() -> Atom? {
        let scalar = pattern[index]
        switch scalar {
        case "\\":
            return escapedAtom()
        case "(":
            if index + 2 < pattern.count, pattern[index + 1] == "?", isFlag(pattern[index + 2]) { return nil }
            guard let end = groupEnd(from: index) else { return nil }
            index = end + 1
            return .other
        case "[":
            guard let end = classEnd(from: index) else { return nil }
            index = end + 1
            return .other
        case ".", "^", "$":
            index += 1
            return .other
        case "{" where !mayBeQuantifier(at: index):
            index += 1
            return literal(scalar)
        case "|", ")", "*", "+", "?", "{":
            return nil
        default:
            index += 1
            return literal(scalar)
        }
    }

    private mutating func escapedAtom() -> Atom? {
        guard index + 1 < pattern.count else { return nil }
        let escaped = pattern[index + 1]
        index += 2
        switch escaped {
        case "r": return literal("\r")
        case "n": return literal("\n")
        case "t": return literal("\t")
        case "f": return literal("\u{0C}")
        case "e": return literal("\u{1B}")
        case "a": return literal("\u{07}")
        case "0":
            // PCRE's NUL; `\0` and more octal digits is left to the regex.
            guard index >= pattern.count || !("0"..."9").contains(pattern[index]) else { return nil }
            return literal("\u{0}")
        case "x":
            guard index + 1 < pattern.count, let high = PrintableBytes.hexValue(pattern[index]),
                let low = PrintableBytes.hexValue(pattern[index + 1])
            else { return nil }
            index += 2
            return literal(byte: high << 4 | low)
        case "d", "D", "w", "W", "s", "S", "h", "H", "v", "V", "R", "b", "B", "A", "z", "Z", "G":
            return .other
        default:
            guard escaped == " " || escaped.isASCIIPunctuation else { return nil }
            return literal(escaped)
        }
    }

    /// A character of the pattern itself: an ASCII one is its byte; another stands for its
    /// UTF-8 bytes (the pattern is compiled as UTF-8), so it is left to the regex.
    private func literal(_ scalar: Unicode.Scalar) -> Atom {
        guard scalar.isASCII else { return .other }
        return literal(byte: UInt8(scalar.value))
    }

    /// The byte `\xHH` (or an ASCII character) stands for.
    private func literal(byte: UInt8) -> Atom {
        guard caseInsensitive else { return .literal(byte) }
        if byte >= 0x80 { return .other }
        return .literal(byte.asciiLowercased)
    }

    /// The least repeat count of a quantifier at `index` (consumed), nil-in-nil-out:
    /// `.some(nil)` when there is none, `nil` when it cannot be read.
    private mutating func quantifierMinimum() -> Int?? {
        guard index < pattern.count else { return .some(nil) }
        var minimum: Int
        switch pattern[index] {
        case "*", "?":
            minimum = 0
            index += 1
        case "+":
            minimum = 1
            index += 1
        case "{":
            guard let (low, end) = braceQuantifier(at: index) else {
                return mayBeQuantifier(at: index) ? nil : .some(nil)  // Else a literal `{`.
            }
            minimum = low
            index = end + 1
        default:
            return .some(nil)
        }
        if index < pattern.count, pattern[index] == "?" || pattern[index] == "+" { index += 1 }
        return .some(minimum)
    }

    /// `{n}`, `{n,}` or `{n,m}` at `start`: its least count and the index of its `}`.
    private func braceQuantifier(at start: Int) -> (Int, Int)? {
        guard let close = pattern[start...].firstIndex(of: "}") else { return nil }
        let body = String(String.UnicodeScalarView(pattern[(start + 1)..<close]))
        let bounds = body.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
        guard let low = Int(bounds[0]), bounds.count == 1 || bounds[1].isEmpty || Int(bounds[1]) != nil else {
            return nil
        }
        return (low, close)
    }

    /// A `{` that is, or might be read by some engine as, a quantifier (`{2}`, `{,3}`).
    private func mayBeQuantifier(at position: Int) -> Bool {
        guard position + 1 < pattern.count else { return false }
        let next = pattern[position + 1]
        return braceQuantifier(at: position) != nil || next == "," || ("0"..."9").contains(next)
    }

    /// The index of the `)` closing the group opened at `start`.
    private func groupEnd(from start: Int) -> Int? {
        var depth = 0
        var position = start
        while position < pattern.count {
            switch pattern[position] {
            case "\\":
                position += 1
            case "[":
                guard let end = classEnd(from: position) else { return nil }
                position = end
            case "(":
                depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return position }
            default:
                break
            }
            position += 1
        }
        return nil
    }

    /// The index of the `]` closing the character class opened at `start`.
    private func classEnd(from start: Int) -> Int? {
        var position = start + 1
        if position < pattern.count, pattern[position] == "^" { position += 1 }
        if position < pattern.count, pattern[position] == "]" { position += 1 }
        while position < pattern.count {
            switch pattern[position] {
            case "\\":
                position += 2
            case "[":
                guard position + 1 < pattern.count, pattern[position + 1] == ":",
                    let close = pattern[(position + 2)...].firstIndex(of: "]")
                else { return nil }
                position = close + 1
            case "]":
                return position
            default:
                position += 1
            }
        }
        return nil
    }

    /// Inline option letters, as in `(?i)` or `(?s:...)`; `(?P<name>` is a named group.
    private func isFlag(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.properties.isAlphabetic && scalar != "P") || scalar == "-" || scalar == "^"
    }
}
