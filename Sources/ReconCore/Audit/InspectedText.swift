/// One place of a port's replies an audit rule can look at: the reply's bytes and the span
/// inspected (a header's value, an error page's body, the whole banner).
struct InspectedText {
    /// The place, as rules name it (`http-header Server` with the name as the server sent it).
    let place: AuditInspection
    /// The exchange that carried it (`banner`, `http`, `http-error-page`, `tls`).
    let exchange: String
    /// What recon sent, if anything, in a few words.
    let request: String?
    /// The whole reply (or certificate field).
    let bytes: [UInt8]
    /// The part inspected.
    let span: Range<Int>

    /// Every place in what probing one port found, in a fixed order: banner, replies, HTTP
    /// headers and error-page bodies (plain, then TLS), certificate fields.
    static func all(in service: PortService) -> [InspectedText] {
        var found: [InspectedText] = []
        if let banner = service.banner {
            let bytes = banner.bytes
            found.append(
                InspectedText(place: .banner, exchange: "banner", request: nil, bytes: bytes, span: 0..<bytes.count))
        }
        for exchange in service.probes ?? [] {
            guard let reply = exchange.reply else { continue }
            let bytes = reply.bytes
            let request = requestLine(of: exchange.probe)
            found.append(
                InspectedText(
                    place: .reply(exchange.probe), exchange: exchange.probe, request: request, bytes: bytes,
                    span: 0..<bytes.count))
            guard isHTTP(exchange.probe), let head = RawHTTPHead(bytes) else { continue }
            for header in head.headers {
                found.append(
                    InspectedText(
                        place: .httpHeader(header.name), exchange: exchange.probe, request: request, bytes: bytes,
                        span: header.value))
            }
            if exchange.probe.hasSuffix("http-error-page") {
                found.append(
                    InspectedText(
                        place: .httpErrorPage, exchange: exchange.probe, request: request, bytes: bytes,
                        span: head.bodyStart..<bytes.count))
            }
        }
        if let tls = service.tls {
            let fields: [(String, String?)] = [
                ("subject", tls.subject), ("issuer", tls.issuer),
                ("san", tls.subjectAlternativeNames.map { $0.joined(separator: ", ") }),
            ]
            for case let (field, value?) in fields {
                let bytes = Array(value.utf8)
                found.append(
                    InspectedText(
                        place: .tlsCertificate(field), exchange: "tls", request: nil, bytes: bytes,
                        span: 0..<bytes.count))
            }
        }
        return found
    }

    private static func isHTTP(_ probe: String) -> Bool {
        ["http", "tls-http", "http-error-page", "tls-http-error-page"].contains(probe)
    }

    private static func requestLine(of probe: String) -> String? {
        switch probe {
        case "http", "tls-http": return "GET /"
        case "http-error-page", "tls-http-error-page": return "GET \(AuditRequest.errorPagePath)"
        default: return nil
        }
    }
}

/// Header value spans of an HTTP/1.x response head, in bytes (evidence needs exact offsets).
struct RawHTTPHead {
    /// Each header's name and the byte range of its value (spaces around it excluded).
    var headers: [(name: String, value: Range<Int>)] = []
    /// Where the body starts (the reply's end when the head is not complete).
    var bodyStart: Int

    init?(_ bytes: [UInt8]) {
        guard bytes.starts(with: Array("HTTP/".utf8)) else { return nil }
        var lineStart = 0
        bodyStart = bytes.count
        var index = 0
        while index < bytes.count {
            guard bytes[index] == 0x0A else {
                index += 1
                continue
            }
            let lineEnd = index > lineStart && bytes[index - 1] == 0x0D ? index - 1 : index
            if lineEnd == lineStart {
                bodyStart = index + 1
                break
            }
            if lineStart > 0, let colon = bytes[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")) {
                var valueStart = colon + 1
                var valueEnd = lineEnd
                while valueStart < valueEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
                while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 {
                    valueEnd -= 1
                }
                let name = Latin1.string(bytes[lineStart..<colon])
                headers.append((name, valueStart..<valueEnd))
            }
            lineStart = index + 1
            index += 1
        }
    }
}
