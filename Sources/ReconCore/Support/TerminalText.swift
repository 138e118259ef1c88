/// Text that came from the network or from a file, made safe to print on a terminal: control
/// characters (C0, DEL, C1: ESC, BEL, BS, CR, LF...) become `\xHH` and the invisible bidi and
/// formatting controls that reorder what a reader sees become `\u{XXXX}`, so a service cannot
/// move the cursor, retitle the window, clear the screen or forge a line of the table.
public enum TerminalText {
    /// Longest message recon prints about one problem: longer ones are cut (a one-line 10 MB bad
    /// file must not become a 10 MB error).
    public static let messageLimit = 200

    /// `text` with every control and bidi character escaped.
    public static func escaped(_ text: some StringProtocol) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return String(text) }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                result.append(scalar)
                continue
            }
            if scalar.value <= 0xFF {
                result.append(contentsOf: "\\x\(PrintableBytes.hexDigits(UInt8(scalar.value)))".unicodeScalars)
            } else {
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            }
        }
        return String(result)
    }

    /// `text` escaped and cut to `limit` characters (with `...` marking the cut): one line, always.
    public static func oneLine(_ text: some StringProtocol, limit: Int = messageLimit) -> String {
        // Escaping only lengthens text: a prefix of 4 x limit characters is always enough.
        let line = escaped(text.prefix(limit * 4 + 1))
        guard line.count > limit else { return line }
        return String(line.prefix(max(0, limit - 3))) + "..."
    }

    /// C0 controls, DEL, C1 controls, and the Unicode characters that change the order or
    /// visibility of the text around them (bidi embeddings, overrides and isolates, marks).
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
