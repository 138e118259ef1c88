#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What an open port said and what it is: the banner, the probe replies, HTTP and TLS
/// details, and the identification. Every field is optional: a silent port may have none.
public struct PortService: Codable, Sendable, Equatable {
    /// What the service sent first, unprompted.
    public var banner: CapturedBytes?
    /// Replies to probes, in the order sent (probes that got no reply are listed with none).
    public var probes: [ProbeExchange]?
    /// The HTTP response, when a (plain or TLS) HTTP probe got one.
    public var http: HTTPResponse?
    /// The TLS session, when the port speaks TLS.
    public var tls: TLSInfo?
    /// The identification; absent when nothing matched and no port-table entry exists.
    public var service: ServiceMatch?
    /// Set when recon could not finish probing the port for a local reason (the symbolic errno:
    /// `EMFILE`, `ENFILE`, `ENOBUFS`, `EADDRNOTAVAIL`): what is above is incomplete, through no
    /// fault of the port.
    public var probeError: String?

    enum CodingKeys: String, CodingKey {
        case banner, probes, http, tls, service
        case probeError = "probe_error"
    }

    public init(
        banner: CapturedBytes? = nil, probes: [ProbeExchange]? = nil, http: HTTPResponse? = nil,
        tls: TLSInfo? = nil, service: ServiceMatch? = nil, probeError: String? = nil
    ) {
        self.banner = banner
        self.probes = probes
        self.http = http
        self.tls = tls
        self.service = service
        self.probeError = probeError
    }
}

/// Bytes as received, and whether the byte cap cut them. They stay raw until rendered: the
/// JSON form (exact bytes in base64, a readable escaped text, the length) is made only when
/// encoding, so the prober, identification and the audit never decode what they just read.
public struct CapturedBytes: Codable, Sendable, Equatable {
    /// The exact bytes kept.
    public var bytes: [UInt8]
    /// True if more bytes were offered than the cap allowed.
    public var truncated: Bool

    enum CodingKeys: String, CodingKey {
        case text, length, truncated
        case base64 = "b64"
    }

    public init(_ bytes: [UInt8], truncated: Bool) {
        self.bytes = bytes
        self.truncated = truncated
    }

    /// Printable rendering: ASCII kept, `\r \n \t \\` and other bytes escaped (`\xHH`).
    public var text: String { PrintableBytes.render(bytes) }
    /// The exact bytes, base64.
    public var base64: String { Data(bytes).base64EncodedString() }
    /// Number of bytes kept.
    public var length: Int { bytes.count }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let encoded = try container.decode(String.self, forKey: .base64)
        guard let data = Data(base64Encoded: encoded) else {
            throw DecodingError.dataCorruptedError(forKey: .base64, in: container, debugDescription: "not base64")
        }
        bytes = Array(data)
        truncated = try container.decode(Bool.self, forKey: .truncated)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(text, forKey: .text)
        try container.encode(base64, forKey: .base64)
        try container.encode(length, forKey: .length)
        try container.encode(truncated, forKey: .truncated)
    }
}

/// One probe sent and what came back.
public struct ProbeExchange: Codable, Sendable, Equatable {
    /// The probe's name (`http`, `tls-http`, `redis-ping`, ...).
    public var probe: String
    /// The reply; absent when the service sent nothing back.
    public var reply: CapturedBytes?
    /// Why the exchange ended: `closed`, `idle`, `complete`, `cap`, `deadline`, `refused`, `reset`,
    /// `error`, or `interrupted` (the scan was stopped; the reply is what had arrived).
    public var ended: ExchangeEnd
    /// The reply's HTTP head, as the reader parsed it (not part of the report).
    public var head: HTTPHead?

    enum CodingKeys: String, CodingKey {
        case probe, reply, ended
    }

    public init(probe: String, reply: CapturedBytes?, ended: ExchangeEnd, head: HTTPHead? = nil) {
        self.probe = probe
        self.reply = reply
        self.ended = ended
        self.head = head
    }
}

/// A TLS session as negotiated with recon's client (no certificate verification: this describes,
/// it does not trust).
public struct TLSInfo: Codable, Sendable, Equatable {
    /// `TLSv1.2`, `TLSv1.3`, ...
    public var version: String?
    /// IANA cipher suite name (`TLS_AES_128_GCM_SHA256`), or `0xXXXX` when unknown.
    public var cipher: String?
    /// Certificate subject and issuer as `CN=..., O=...`.
    public var subject: String?
    public var issuer: String?
    /// DNS and IP subject alternative names.
    public var subjectAlternativeNames: [String]?
    /// Certificate validity, RFC 3339.
    public var notBefore: String?
    public var notAfter: String?

    enum CodingKeys: String, CodingKey {
        case version, cipher, subject, issuer
        case subjectAlternativeNames = "san"
        case notBefore = "not_before"
        case notAfter = "not_after"
    }

    public init(
        version: String? = nil, cipher: String? = nil, subject: String? = nil, issuer: String? = nil,
        subjectAlternativeNames: [String]? = nil, notBefore: String? = nil, notAfter: String? = nil
    ) {
        self.version = version
        self.cipher = cipher
        self.subject = subject
        self.issuer = issuer
        self.subjectAlternativeNames = subjectAlternativeNames
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}
