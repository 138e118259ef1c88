import ReconCore

/// One element of an nmap XML document as read: its name, attributes, child elements and, for
/// `<cpe>`, its text.
struct NmapElement {
    var name: String
    var attributes: [String: String]
    var children: [NmapElement] = []
    var text = ""

    /// The first child element named `name`.
    func child(_ name: String) -> NmapElement? { children.first { $0.name == name } }

    /// The child elements named `name`, in document order.
    func children(_ name: String) -> [NmapElement] { children.filter { $0.name == name } }

    subscript(attribute: String) -> String? { attributes[attribute] }
}

/// Reads an `<nmaprun>` document: the subset of XML that nmap (and recon's `--format xml`) writes.
/// It keeps the run's own small elements (`<scaninfo>`, `<runstats>`) and hands each `<host>` to
/// `hostEnded` as soon as it closes, so memory holds one host's elements at a time.
///
/// Written by hand, on purpose: Foundation's `XMLParser` (libxml2 through FoundationXML) crashed
/// on hostile files within a minute of fuzzing (an `encoding="UTF-7"` declaration, a processing
/// instruction without data: fuzz findings F3 and F4), and it made every recon run map libxml2
/// and ICU. This reader knows elements, attributes, the five predefined entities and character
/// references, comments, CDATA, processing instructions (skipped) and `<!DOCTYPE nmaprun ...>`
/// without an internal subset; it loads nothing, expands no entity of a document's own (an
/// undeclared one is refused), stops at the first error, and nests at most 16 deep.
final class NmapXMLReader {
    /// nmap's documents nest six deep (`nmaprun/host/ports/port/service/cpe`).
    static let maximumDepth = 16
    /// `<cpe>` text kept per element; nmap's CPE names are short.
    static let maximumText = 1024

    private let hostEnded: (NmapElement) throws(ReportDecodingError) -> Void
    private var open: [NmapElement] = []
    /// `<nmaprun>` with every child but its hosts, once it has closed.
    private(set) var run: NmapElement?
    /// Why the document was refused, in one line; nil while all is well.
    private(set) var failure: String?

    private var bytes: [UInt8] = []
    private var index = 0

    init(hostEnded: @escaping (NmapElement) throws(ReportDecodingError) -> Void) {
        self.hostEnded = hostEnded
    }

    /// Parses `bytes`; afterwards `run` holds the document or `failure` says why not.
    func parse(_ bytes: [UInt8]) {
        (self.bytes, index) = (bytes, 0)
        do throws(ReportDecodingError) {
            try document()
        } catch {
            failure = error.description
        }
        self.bytes = []
    }

    // MARK: The document

    private func document() throws(ReportDecodingError) {
        while index < bytes.count {
            if atElementStart {
                guard run == nil && open.isEmpty else { throw malformed() }
                try element()
                continue
            }
            if starts("<") {
                try markup()
            } else if XMLBytes.isSpace(bytes[index]) {
                index += 1
            } else {
                throw malformed()  // text outside the root element
            }
        }
        guard run != nil else { throw ReportDecodingError("not nmap's XML: the document has no <nmaprun> element") }
    }

    /// A comment, CDATA section (only inside elements), processing instruction or document type.
    private func markup() throws(ReportDecodingError) {
        if starts("<!--") {
            try skip(past: "-->", from: index + 4)
        } else if starts("<![CDATA[") {
            guard !open.isEmpty else { throw malformed() }
            let start = index + 9
            try skip(past: "]]>", from: start)
            appendText(bytes[start..<(index - 3)])
        } else if starts("<?") {
            try skip(past: "?>", from: index + 2)
        } else if starts("<!DOCTYPE") {
            guard open.isEmpty && run == nil else { throw malformed() }
            // Internal subsets were refused before parsing; quotes may hold '>'.
            var quote: UInt8?
            index += 9
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: "[") {
                    throw ReportDecodingError(NmapXMLDecoder.entityRefusal)
                } else if byte == UInt8(ascii: ">") {
                    return
                }
            }
            throw malformed()
        } else {
            throw malformed()
        }
    }

    /// An element from its `<` to its end tag (or `/>`), with everything inside.
    private func element() throws(ReportDecodingError) {
        index += 1
        let name = try self.name()
        if open.isEmpty && name != "nmaprun" {
            throw ReportDecodingError("not nmap's XML: the root element is <\(name)>, not <nmaprun>")
        }
        guard open.count < Self.maximumDepth else {
            throw ReportDecodingError("not nmap's XML: elements nested more than \(Self.maximumDepth) deep")
        }
        var attributes: [String: String] = [:]
        while true {
            let spaced = skipSpace()
            if starts("/>") {
                index += 2
                try close(NmapElement(name: name, attributes: attributes))
                return
            }
            if starts(">") {
                index += 1
                break
            }
            guard spaced else { throw malformed() }
            let attribute = try self.name()
            skipSpace()
            guard starts("=") else { throw malformed() }
            index += 1
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                throw malformed()
            }
            let quote = bytes[index]
            index += 1
            guard let end = bytes[index...].firstIndex(of: quote) else { throw malformed() }
            guard attributes[attribute] == nil else { throw malformed() }  // an attribute twice
            attributes[attribute] = try decoded(bytes[index..<end], inAttribute: true)
            index = end + 1
        }
        open.append(NmapElement(name: name, attributes: attributes))
        try content()
    }

    /// The content of the innermost open element, up to and including its end tag.
    private func content() throws(ReportDecodingError) {
        while index < bytes.count {
            if starts("</") {
                index += 2
                let name = try self.name()
                skipSpace()
                guard starts(">"), let element = open.popLast(), element.name == name else { throw malformed() }
                index += 1
                try close(element)
                return
            }
            if atElementStart {
                try element()
            } else if starts("<") {
                try markup()
            } else {
                let end = bytes[index...].firstIndex(of: UInt8(ascii: "<")) ?? bytes.count
                if open.last?.name == "cpe" { appendText(try decoded(bytes[index..<end], inAttribute: false).utf8) }
                index = end
            }
        }
        throw malformed()  // the document ended inside an element
    }

    /// Files a finished element: the root becomes `run`, a host goes to `hostEnded`, anything
    /// else joins its parent.
    private func close(_ element: NmapElement) throws(ReportDecodingError) {
        guard !open.isEmpty else {
            run = element
            return
        }
        if element.name == "host" && open.count == 1 {
            try hostEnded(element)
        } else {
            open[open.count - 1].children.append(element)
        }
    }

    // MARK: Pieces

    private func appendText(_ text: some Collection<UInt8>) {
        guard open.last?.name == "cpe", open[open.count - 1].text.utf8.count < Self.maximumText else { return }
        open[open.count - 1].text += String(decoding: text.prefix(Self.maximumText), as: UTF8.self)
    }

    /// Text with its references replaced: `&lt; &gt; &amp; &quot; &apos;`, `&#N;` and `&#xH;`.
    /// Any other reference names an entity this reader never defines (declarations were refused).
    private func decoded(_ raw: ArraySlice<UInt8>, inAttribute: Bool) throws(ReportDecodingError) -> String {
        guard raw.contains(UInt8(ascii: "&")) || (inAttribute && raw.contains(UInt8(ascii: "<"))) else {
            return String(decoding: raw, as: UTF8.self)
        }
        var out: [UInt8] = []
        var position = raw.startIndex
        while position < raw.endIndex {
            let byte = raw[position]
            if byte == UInt8(ascii: "<") { throw malformed(at: position) }
            guard byte == UInt8(ascii: "&") else {
                out.append(byte)
                position += 1
                continue
            }
            guard let semicolon = raw[position...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw malformed(at: position)
            }
            let name = String(decoding: raw[(position + 1)..<semicolon], as: UTF8.self)
            switch name {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                guard name.hasPrefix("#"), let scalar = Self.characterReference(name.dropFirst()) else {
                    if name.isEmpty || name.hasPrefix("#") { throw malformed(at: position) }
                    throw ReportDecodingError(NmapXMLDecoder.entityRefusal)
                }
                out.append(contentsOf: String(Character(scalar)).utf8)
            }
            position = semicolon + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `N` or `xH` of a character reference, if it names a character XML allows.
    private static func characterReference(_ digits: Substring) -> Unicode.Scalar? {
        let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
        guard let value, value == 0x9 || value == 0xA || value == 0xD || value >= 0x20 else { return nil }
        return Unicode.Scalar(value)
    }

    /// A name: a letter, `_` or `:` first, then letters, digits, `.`, `-`, `_`, `:` (and any byte of
    /// a multi-byte UTF-8 character).
    private func name() throws(ReportDecodingError) -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            let isLetter = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte >= 0x80
            let isOther = byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
            let isInner = (0x30...0x39).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            guard isLetter || isOther || (index > start && isInner) else { break }
            index += 1
        }
        guard index > start else { throw malformed() }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Moves past the first `terminator` at or after `from`; the document must have one.
    private func skip(past terminator: String, from: Int) throws(ReportDecodingError) {
        let needle = Array(terminator.utf8)
        guard let found = XMLBytes.firstOffset(of: needle, in: bytes, from: from) else {
            index = bytes.count
            throw malformed()
        }
        index = found + needle.count
    }

    @discardableResult
    private func skipSpace() -> Bool {
        let start = index
        while index < bytes.count, XMLBytes.isSpace(bytes[index]) { index += 1 }
        return index > start
    }

    /// A start tag begins here (not a comment, CDATA, declaration or processing instruction).
    private var atElementStart: Bool { starts("<") && !starts("<?") && !starts("<!") }

    private func starts(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return prefix.withUTF8Buffer { bytes[index..<(index + count)].elementsEqual($0) }
    }

    /// "not well-formed XML (line L, column C)" at `position` (default: where the reader is).
    private func malformed(at position: Int? = nil) -> ReportDecodingError {
        let at = min(position ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for offset in 0..<at where bytes[offset] == 0x0A {
            line += 1
            lineStart = offset + 1
        }
        return ReportDecodingError("not well-formed XML (line \(line), column \(at - lineStart + 1))")
    }
}
