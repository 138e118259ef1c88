/// Finds the `<title>` of an HTML body that may be cut.
enum HTMLTitle {
    /// True for an HTML content type, or a body that starts like an HTML document.
    static func looksLikeHTML(contentType: String?, body: ArraySlice<UInt8>) -> Bool {
        if let contentType { return contentType.lowercased().contains("html") }
        let start = lowercased(
            body.prefix(1024).drop(while: { [0x20, 0x09, 0x0D, 0x0A, 0xEF, 0xBB, 0xBF].contains($0) }))
        return ["<!doctype html", "<html", "<head", "<title"].contains { start.starts(with: Array($0.utf8)) }
    }

    /// The title text: entities decoded, white space collapsed, trimmed, at most
    /// `HTTPResponse.maximumTitleLength` characters; nil if there is none or it is empty.
    static func find(in body: ArraySlice<UInt8>) -> String? {
        let lower = lowercased(body)
        guard let open = firstRange(of: Array("<title".utf8), in: lower, from: 0),
            let tagEnd = lower[open.upperBound...].firstIndex(of: UInt8(ascii: ">"))
        else { return nil }
        let start = tagEnd + 1
        let close = firstRange(of: Array("</title".utf8), in: lower, from: start)?.lowerBound
        let raw = decodeText(Array(body)[start..<(close ?? lower.count)], cut: close == nil)
        let words = decodeEntities(raw).split(whereSeparator: { $0.isWhitespace })
        let title = words.joined(separator: " ")
        guard !title.isEmpty else { return nil }
        // Cut, then trim: a cut can end right after a joining space.
        return String(title.prefix(HTTPResponse.maximumTitleLength)).trimmingWhitespace()
    }

    /// Decodes `&amp; &lt; &gt; &quot; &#39; &apos; &nbsp;` and numeric references; leaves others.
    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " "]
        var result = ""
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            rest = rest[ampersand...]
            guard let semicolon = rest.prefix(12).firstIndex(of: ";") else {
                result += "&"
                rest = rest.dropFirst()
                continue
            }
            let entity = rest[rest.index(after: rest.startIndex)..<semicolon]
            if let replacement = named[String(entity)] ?? numericReference(entity) {
                result += replacement
                rest = rest[rest.index(after: semicolon)...]
            } else {
                result += "&"
                rest = rest.dropFirst()
            }
        }
        return result + rest
    }

    /// `#39` or `#x27` as the character it names.
    private static func numericReference(_ entity: Substring) -> String? {
        guard entity.first == "#" else { return nil }
        let digits = entity.dropFirst()
        let value = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
        guard let value, value > 0, let scalar = Unicode.Scalar(value) else { return nil }
        return String(scalar)
    }

    /// UTF-8 when valid, otherwise one character per byte. In `cut` text, a UTF-8 character
    /// cut at the end is dropped.
    private static func decodeText(_ bytes: ArraySlice<UInt8>, cut: Bool) -> String {
        let complete = cut ? bytes.dropLast(incompleteCharacterLength(bytes)) : bytes
        return String(validating: complete, as: UTF8.self) ?? Latin1.string(bytes)
    }

    /// How many bytes at the end start a UTF-8 character without all of its bytes.
    private static func incompleteCharacterLength(_ bytes: ArraySlice<UInt8>) -> Int {
        for length in 1...3 where length <= bytes.count {
            let byte = bytes[bytes.endIndex - length]
            if byte & 0xC0 == 0x80 { continue }  // A continuation byte: look further back.
            let needed = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            return needed > length ? length : 0
        }
        return 0
    }

    private static func lowercased(_ bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.map(\.asciiLowercased)
    }

    private static func firstRange(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Range<Int>? {
        guard start <= haystack.count else { return nil }
        return haystack[start...].firstRange(of: needle)
    }
}
