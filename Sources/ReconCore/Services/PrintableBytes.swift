/// Shows raw bytes as pure ASCII text and reads such text back: printable ASCII stays as is,
/// `\r`, `\n`, `\t` and `\\` are escaped, every other byte is written `\xHH`.
public enum PrintableBytes {
    /// The bytes as escaped ASCII text; `unescape(render(b)) == b` for all bytes `b`.
    public static func render(_ bytes: [UInt8]) -> String {
        var text = ""
        text.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): text += "\\\\"
            case UInt8(ascii: "\r"): text += "\\r"
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\t"): text += "\\t"
            case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
            default: text += "\\x" + hexDigits(byte)
            }
        }
        return text
    }

    /// The bytes of escaped text, as in a rules file's `q|...|`: `\r \n \t \0 \\ \xHH`, and a
    /// backslash before any other ASCII punctuation (such as the delimiter) keeps that character.
    /// Characters outside ASCII stand for their UTF-8 bytes.
    /// With `token`, `\N` stands for those bytes (probe payloads); without, it is an error.
    public static func unescape(_ text: some StringProtocol, token: [UInt8]? = nil) throws(EscapeError) -> [UInt8] {
        var bytes: [UInt8] = []
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\" else {
                bytes.append(contentsOf: String(scalar).utf8)
                continue
            }
            guard let escaped = scalars.next() else { throw EscapeError(description: "'\\' at the end") }
            switch escaped {
            case "r": bytes.append(0x0D)
            case "n": bytes.append(0x0A)
            case "t": bytes.append(0x09)
            case "0": bytes.append(0x00)
            case "N" where token != nil: bytes.append(contentsOf: token ?? [])
            case "x":
                guard let high = scalars.next().flatMap(hexValue), let low = scalars.next().flatMap(hexValue) else {
                    throw EscapeError(description: "'\\x' needs two hex digits")
                }
                bytes.append(high << 4 | low)
            case _ where escaped.isASCIIPunctuation:
                bytes.append(UInt8(escaped.value))
            default:
                throw EscapeError(description: "unknown escape '\\\(escaped)'")
            }
        }
        return bytes
    }

    /// Text that `unescape` cannot read.
    public struct EscapeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, in one line.
        public let description: String
    }

    /// The value of one hex digit, either case.
    static func hexValue(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar {
        case "0"..."9": UInt8(scalar.value - 0x30)
        case "a"..."f": UInt8(scalar.value - 0x61 + 10)
        case "A"..."F": UInt8(scalar.value - 0x41 + 10)
        default: nil
        }
    }

    /// The two hex digits of every byte, built once: rendering escapes every non-printable byte.
    private static let hexTable: [String] = (0...255).map { byte in
        let digits = Array("0123456789abcdef".unicodeScalars)
        return String(digits[byte >> 4]) + String(digits[byte & 0x0F])
    }

    static func hexDigits(_ byte: UInt8) -> String { hexTable[Int(byte)] }
}

/// Bytes seen as text one byte per character (ISO 8859-1), for text that may not be UTF-8.
enum Latin1 {
    /// Each byte becomes the Unicode scalar of the same value.
    static func string(_ bytes: some Collection<UInt8>) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.count + bytes.count / 4)
        for byte in bytes {
            if byte < 0x80 {
                utf8.append(byte)
            } else {
                utf8.append(0xC0 | (byte >> 6))
                utf8.append(0x80 | (byte & 0x3F))
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// UTF-8 when the bytes are valid UTF-8, otherwise one character per byte.
    static func text(_ bytes: some Collection<UInt8>) -> String {
        String(validating: bytes, as: UTF8.self) ?? string(bytes)
    }
}

/// Text for people from bytes that may not be UTF-8: UTF-8 when valid, else one character per
/// byte (ISO 8859-1); control characters are written `\xHH`.
enum DisplayText {
    static func from(_ bytes: some Collection<UInt8>) -> String {
        let decoded = Latin1.text(bytes)
        guard decoded.unicodeScalars.contains(where: isControl) else { return decoded }
        var text = ""
        for scalar in decoded.unicodeScalars {
            if isControl(scalar) {
                text += "\\x" + PrintableBytes.hexDigits(UInt8(scalar.value))
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

extension UInt8 {
    /// The byte with ASCII `A`-`Z` made lowercase.
    var asciiLowercased: UInt8 { (0x41...0x5A).contains(self) ? self | 0x20 : self }
}

extension Unicode.Scalar {
    /// Printable ASCII other than letters, digits and space: `|`, `/`, `\\`, `=` and the like.
    var isASCIIPunctuation: Bool {
        value > 0x20 && value < 0x7F && !properties.isAlphabetic && !("0"..."9").contains(self)
    }
}
