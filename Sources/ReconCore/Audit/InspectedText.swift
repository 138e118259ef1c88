/// One place of a port's replies an audit rule can look at: the reply's bytes and the span
/// inspected (a header's value, an error page's body, the whole banner), cut to the place's cap
/// so that no rule reads more than a few KiB of one place.
struct InspectedText {
    /// The most of one header value (or certificate field) a rule reads.
    static let fieldCap = 4 * 1024
    /// The most of a banner, a reply or an error page a rule reads (as identification does).
    static let bodyCap = ServiceRules.matchedReplyLimit

    /// The place, as rules name it (`http-header Server` with the name as the server sent it).
    let place: AuditInspection
    /// The exchange that carried it (`banner`, `http`, `http-error-page`, `tls`).
    let exchange: String
    /// What recon sent, if anything, in a few words.
    let request: String?
    /// The whole reply (or certificate field).
    let bytes: [UInt8]
    /// The part inspected: the place's bytes (all of `bytes` unless given) up to its cap.
    let span: Range<Int>

    init(place: AuditInspection, exchange: String, request: String? = nil, bytes: [UInt8], span: Range<Int>? = nil) {
        self.place = place
        self.exchange = exchange
        self.request = request
        self.bytes = bytes
        let whole = span ?? 0..<bytes.count
        self.span = whole.lowerBound..<min(whole.upperBound, whole.lowerBound + Self.cap(place))
    }

    /// The bytes a rule reads.
    var text: ArraySlice<UInt8> { bytes[span] }

    /// The cap of a place: header values and certificate fields are short by nature.
    static func cap(_ place: AuditInspection) -> Int {
        switch place {
        case .httpHeader, .tlsCertificate: return fieldCap
        case .banner, .reply, .httpErrorPage: return bodyCap
        }
    }

    /// The request line of each HTTP exchange recon makes, by probe name.
    private static let httpRequests = [
        ProbeName.http: "GET /", ProbeName.tlsHTTP: "GET /",
        AuditRequest.errorPageProbe: "GET \(AuditRequest.errorPagePath)",
        AuditRequest.tlsErrorPageProbe: "GET \(AuditRequest.errorPagePath)",
    ]

    /// Every place in what probing one port found, in a fixed order: banner, replies, HTTP
    /// headers and error-page bodies (plain, then TLS), certificate fields.
    static func all(in service: PortService) -> [InspectedText] {
        var found: [InspectedText] = []
        if let banner = service.banner {
            found.append(InspectedText(place: .banner, exchange: ProbeName.banner, bytes: banner.bytes))
        }
        for exchange in service.probes ?? [] {
            guard let reply = exchange.reply else { continue }
            let bytes = reply.bytes
            let probe = exchange.probe
            let request = httpRequests[probe]
            found.append(InspectedText(place: .reply(probe), exchange: probe, request: request, bytes: bytes))
            guard request != nil, bytes.starts(with: Array("HTTP/".utf8)) else { continue }
            let head = exchange.head ?? HTTPHead(bytes)
            for (header, value) in zip(head.headers, head.valueRanges) {
                found.append(
                    InspectedText(
                        place: .httpHeader(header.name), exchange: probe, request: request, bytes: bytes, span: value))
            }
            if probe == AuditRequest.errorPageProbe || probe == AuditRequest.tlsErrorPageProbe {
                found.append(
                    InspectedText(
                        place: .httpErrorPage, exchange: probe, request: request, bytes: bytes,
                        span: (head.end ?? bytes.count)..<bytes.count))
            }
        }
        if let tls = service.tls {
            let fields: [(String, String?)] = [
                ("subject", tls.subject), ("issuer", tls.issuer),
                ("san", tls.subjectAlternativeNames.map { $0.joined(separator: ", ") }),
            ]
            for case let (field, value?) in fields {
                found.append(InspectedText(place: .tlsCertificate(field), exchange: "tls", bytes: Array(value.utf8)))
            }
        }
        return found
    }
}
