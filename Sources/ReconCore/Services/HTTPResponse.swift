/// A parsed HTTP/1.x response head (and title), from raw bytes that may be cut.
public struct HTTPResponse: Codable, Sendable, Equatable {
    /// The first line, such as `HTTP/1.1 404 Not Found`.
    public var statusLine: String
    /// The status code, such as 404.
    public var statusCode: Int
    /// The header fields in order, repeats kept (at most `maximumHeaders`).
    public var headers: [HTTPHeader]
    /// The first `Server` header's value.
    public var server: String?
    /// The HTML `<title>`, trimmed, white space collapsed, basic entities decoded, at most 256 characters.
    public var title: String?

    /// Only this much of a reply is read for the head; the title is looked for as far.
    static let maximumHeadLength = 64 * 1024
    /// A longer status line (no line end in sight) is cut to this many bytes.
    static let maximumStatusLineLength = 1024
    /// Header fields after this many are ignored.
    static let maximumHeaders = 200
    /// Longer titles are cut to this many characters.
    static let maximumTitleLength = 256

    enum CodingKeys: String, CodingKey {
        case headers, server, title
        case statusLine = "status_line"
        case statusCode = "status_code"
    }

    public init(statusLine: String, statusCode: Int, headers: [HTTPHeader], server: String?, title: String?) {
        self.statusLine = statusLine
        self.statusCode = statusCode
        self.headers = headers
        self.server = server
        self.title = title
    }

    /// The response head in `bytes`, or nil if they do not start like an HTTP/1.x response;
    /// `head` is their head when already parsed.
    public static func parse(_ bytes: [UInt8], head parsed: HTTPHead? = nil) -> HTTPResponse? {
        guard let statusCode = statusCode(bytes) else { return nil }
        let head = parsed ?? HTTPHead(bytes)
        let contentType = head.headers.first { $0.name.lowercased() == "content-type" }?.value
        let body = head.end.map { bytes[$0..<min(bytes.count, $0 + maximumHeadLength)] } ?? []
        return HTTPResponse(
            statusLine: head.statusLine, statusCode: statusCode, headers: head.headers,
            server: head.headers.first { $0.name.lowercased() == "server" }?.value,
            title: HTMLTitle.looksLikeHTML(contentType: contentType, body: body) ? HTMLTitle.find(in: body) : nil)
    }

    /// How many bytes make the complete response if it can be told yet (head + Content-Length, or nil if read-until-close / chunked / incomplete head): lets the reader stop early.
    public static func completeLength(_ bytes: [UInt8], head parsed: HTTPHead? = nil) -> Int? {
        guard let statusCode = statusCode(bytes), statusCode >= 200 else { return nil }
        let head = parsed ?? HTTPHead(bytes)
        guard let end = head.end else { return nil }
        if statusCode == 204 || statusCode == 304 { return end }
        let names = head.headers.map { $0.name.lowercased() }
        guard !names.contains("transfer-encoding") else { return nil }
        let lengths = Set(head.headers.indices.filter { names[$0] == "content-length" }.map { head.headers[$0].value })
        guard lengths.count == 1, let text = lengths.first, !text.isEmpty, text.count <= 18,
            text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let length = Int(text)
        else { return nil }
        return end + length
    }

    /// The status code if `bytes` start with `HTTP/1.x NNN`.
    private static func statusCode(_ bytes: [UInt8]) -> Int? {
        let prefix = Array("HTTP/1.".utf8)
        guard bytes.count >= 12, bytes.starts(with: prefix), isDigit(bytes[7]), bytes[8] == 0x20,
            bytes[9...11].allSatisfy(isDigit)
        else { return nil }
        if bytes.count > 12, ![0x20, 0x0D, 0x0A].contains(bytes[12]) { return nil }
        return bytes[9...11].reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}

/// One header field of an HTTP response.
public struct HTTPHeader: Codable, Sendable, Equatable {
    /// The field name as sent.
    public var name: String
    /// The value, surrounding white space removed, folded lines joined with a space.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The head of a response: status line, header fields, and where the body starts if known.
/// Parsed once per reply (by the reader, which needs it to know when the response is complete)
/// and handed on with the reply to identification and the audit.
public struct HTTPHead: Sendable, Equatable {
    public var statusLine = ""
    public var headers: [HTTPHeader] = []
    /// Where each header's value lies in the bytes (its first line, spaces around it excluded):
    /// evidence needs exact offsets.
    public var valueRanges: [Range<Int>] = []
    /// The index just after the blank line ending the head; nil if it was not seen.
    public var end: Int?

    public init(_ bytes: [UInt8]) {
        let window = bytes.prefix(HTTPResponse.maximumHeadLength)
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        for index in window.indices where window[index] == 0x0A {
            var line = window[lineStart..<index]
            if line.last == 0x0D { line = line.dropLast() }
            lineStart = index + 1
            if line.isEmpty && !lines.isEmpty {
                end = lineStart
                break
            }
            lines.append(line)
        }
        if lines.isEmpty { lines.append(window[...]) }  // A status line without its line end.
        statusLine = Latin1.text(lines[0].prefix(HTTPResponse.maximumStatusLineLength))
        for line in lines.dropFirst() {
            if line.first == 0x20 || line.first == 0x09 {
                guard !headers.isEmpty else { continue }
                headers[headers.count - 1].value += " " + Latin1.text(line).trimmingWhitespace()
                headers[headers.count - 1].value = headers[headers.count - 1].value.trimmingWhitespace()
                continue
            }
            guard headers.count < HTTPResponse.maximumHeaders else { break }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = Latin1.text(line[..<colon]).trimmingWhitespace()
            guard !name.isEmpty else { continue }
            headers.append(HTTPHeader(name: name, value: Latin1.text(line[(colon + 1)...]).trimmingWhitespace()))
            let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
            let valueStart = line[(colon + 1)...].firstIndex { !isBlank($0) } ?? line.endIndex
            let valueEnd = line[valueStart...].lastIndex { !isBlank($0) }.map { $0 + 1 } ?? valueStart
            valueRanges.append(valueStart..<valueEnd)
        }
    }
}
