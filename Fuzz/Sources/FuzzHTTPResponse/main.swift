// Fuzzes the HTTP response reader (HTTPResponse.parse, completeLength and the header scanner the
// audit's evidence offsets come from) on any bytes a peer sends. Checks the documented bounds:
// status code of three digits, status line at most 1024 bytes, at most 200 headers, a trimmed
// title of at most 256 characters on one line, value ranges inside the bytes.
import FuzzSupport

@testable import ReconCore

func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

fuzz { bytes in
    let head = HTTPHead(bytes)
    invariant(head.valueRanges.count == head.headers.count, "a value range per header")
    let window = min(bytes.count, HTTPResponse.maximumHeadLength)
    for range in head.valueRanges {
        invariant(range.lowerBound >= 0 && range.upperBound <= window, "value range \(range) outside the head")
    }
    if let end = head.end { invariant((2...window).contains(end), "head end \(end) outside the head") }

    let length = HTTPResponse.completeLength(bytes)
    guard let response = HTTPResponse.parse(bytes) else {
        invariant(length == nil, "a length for bytes that are not a response")
        return
    }
    invariant(bytes.starts(with: Array("HTTP/1.".utf8)), "accepted bytes that do not start with HTTP/1.")
    invariant((0...999).contains(response.statusCode), "status code \(response.statusCode)")
    invariant(response.statusLine.unicodeScalars.count <= HTTPResponse.maximumStatusLineLength, "status line too long")
    invariant(response.headers.count <= HTTPResponse.maximumHeaders, "\(response.headers.count) headers")
    invariant(response.headers.allSatisfy { !$0.name.isEmpty }, "a header without a name")
    if let length {
        invariant(length >= (head.end ?? 0) && head.end != nil, "complete length \(length) inside the head")
    }
    if let title = response.title {
        invariant(!title.isEmpty && title.count <= HTTPResponse.maximumTitleLength, "title of \(title.count)")
        invariant(title.first != " " && !title.contains("  "), "untrimmed title '\(title)'")
        invariant(title.last != " ", "title cut after a space: '\(title)'")
        invariant(!title.unicodeScalars.contains { $0 == "\n" || $0 == "\r" || $0 == "\t" }, "title on lines")
    }
}
