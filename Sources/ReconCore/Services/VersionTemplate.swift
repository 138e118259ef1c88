/// A versioninfo field of a match line (`p/OpenSSH/`, `v/$2/`, `i/$P(3)/`): text with nmap's
/// substitutions of capture groups: `$1`-`$9`, `$P(n)` (printable characters only),
/// `$SUBST(n,"from","to")` and `$I(n,">")` (the bytes as a big-endian number; `<` little-endian).
struct VersionTemplate: Sendable {
    enum Part: Sendable {
        case text([UInt8])
        case capture(Int)
        case printable(Int)
        case substitute(Int, from: [UInt8], to: [UInt8])
        case integer(Int, bigEndian: Bool)
    }

    let parts: [Part]

    init(parsing template: String) throws(RuleLineError) {
        var parts: [Part] = []
        var rest = Substring(template)
        while let dollar = rest.firstIndex(of: "$") {
            parts.append(.text(Array(rest[..<dollar].utf8)))
            rest = rest[rest.index(after: dollar)...]
            if let digit = rest.first, let group = digit.wholeNumberValue, group > 0 {
                parts.append(.capture(group))
                rest = rest.dropFirst()
            } else if rest.hasPrefix("P(") {
                let arguments = try Self.arguments(&rest, after: "P(")
                parts.append(.printable(try Self.group(arguments, count: 1)))
            } else if rest.hasPrefix("SUBST(") {
                let arguments = try Self.arguments(&rest, after: "SUBST(")
                let group = try Self.group(arguments, count: 3)
                parts.append(.substitute(group, from: try Self.quoted(arguments[1]), to: try Self.quoted(arguments[2])))
            } else if rest.hasPrefix("I(") {
                let arguments = try Self.arguments(&rest, after: "I(")
                let group = try Self.group(arguments, count: 2)
                let order = try Self.quoted(arguments[1])
                guard order == [UInt8(ascii: ">")] || order == [UInt8(ascii: "<")] else {
                    throw RuleLineError("$I takes \">\" or \"<\"")
                }
                parts.append(.integer(group, bigEndian: order == [UInt8(ascii: ">")]))
            } else if let next = rest.first, next.isLetter {
                throw RuleLineError("unknown substitution '$\(next)' in '\(template)'")
            } else {
                parts.append(.text([UInt8(ascii: "$")]))
            }
        }
        parts.append(.text(Array(rest.utf8)))
        self.parts = parts
    }

    /// The field for one match: nil when it comes out empty. `captures[n]` is group n's bytes.
    func render(_ captures: [[UInt8]?]) -> String? {
        var bytes: [UInt8] = []
        func group(_ number: Int) -> [UInt8] {
            number < captures.count ? captures[number] ?? [] : []
        }
        for part in parts {
            switch part {
            case .text(let text):
                bytes += text
            case .capture(let number):
                bytes += group(number)
            case .printable(let number):
                bytes += group(number).filter { (0x20...0x7E).contains($0) }
            case .substitute(let number, let from, let to):
                bytes += Self.replacing(from, with: to, in: group(number))
            case .integer(let number, let bigEndian):
                let digits = group(number).prefix(8)
                let ordered = bigEndian ? Array(digits) : digits.reversed()
                bytes += Array(String(ordered.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }).utf8)
            }
        }
        let text = DisplayText.from(bytes).trimmingWhitespace()
        return text.isEmpty ? nil : text
    }

    private static func replacing(_ from: [UInt8], with to: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard !from.isEmpty else { return bytes }
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index...].starts(with: from) {
                result += to
                index += from.count
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    /// The comma-separated arguments of `NAME(...)`, leaving `rest` after the `)`. Quoted
    /// arguments may contain commas and parentheses.
    private static func arguments(_ rest: inout Substring, after opening: String) throws(RuleLineError) -> [Substring] {
        rest = rest.dropFirst(opening.count)
        var arguments: [Substring] = []
        var start = rest.startIndex
        var index = rest.startIndex
        var inQuotes = false
        while index < rest.endIndex {
            let character = rest[index]
            if character == "\"" {
                inQuotes.toggle()
            } else if !inQuotes && (character == "," || character == ")") {
                arguments.append(rest[start..<index])
                start = rest.index(after: index)
                if character == ")" {
                    rest = rest[start...]
                    return arguments
                }
            }
            index = rest.index(after: index)
        }
        throw RuleLineError("'$\(opening)' is missing its ')'")
    }

    private static func group(_ arguments: [Substring], count: Int) throws(RuleLineError) -> Int {
        guard arguments.count == count, let group = Int(arguments[0]), (1...9).contains(group) else {
            throw RuleLineError("substitution needs \(count) argument(s), the first a group number 1-9")
        }
        return group
    }

    private static func quoted(_ argument: Substring) throws(RuleLineError) -> [UInt8] {
        guard argument.count >= 2, argument.first == "\"", argument.last == "\"" else {
            throw RuleLineError("expected a quoted string, found '\(argument)'")
        }
        return Array(argument.dropFirst().dropLast().utf8)
    }
}
