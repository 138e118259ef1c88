/// One reply a port gave: to no probe (`banner`), or to a named probe.
public struct ProbeReply: Sendable, Equatable {
    /// `banner`, `http`, `tls-http`, or a custom probe's name.
    public var probe: String
    /// The reply as received, possibly cut.
    public var bytes: [UInt8]

    public init(probe: String, bytes: [UInt8]) {
        self.probe = probe
        self.bytes = bytes
    }
}

/// A probe to send: name, payload bytes, ports it is meant for (empty = any port), and the
/// conversation around it: a greeting it waits for, and further turns on the same connection.
public struct ServiceProbe: Sendable, Equatable {
    /// The name replies to it are filed under.
    public var name: String
    /// The bytes to send.
    public var payload: [UInt8]
    /// The ports it is meant for; empty means any port.
    public var ports: Set<UInt16>
    /// When set, the probe follows a greeting: it goes only to ports whose greeting this
    /// matches, on a new connection, once that connection's greeting matches it again. When
    /// nil, the probe goes to ports that stay silent.
    public var greeting: ReplyExpectation?
    /// Further turns on the same connection: once the reply so far matches a turn's
    /// expectation, its bytes are sent; the reply goes on collecting after them.
    public var turns: [ConversationTurn]

    public init(
        name: String, payload: [UInt8], ports: Set<UInt16> = [], greeting: ReplyExpectation? = nil,
        turns: [ConversationTurn] = []
    ) {
        self.name = name
        self.payload = payload
        self.ports = ports
        self.greeting = greeting
        self.turns = turns
    }
}

/// One more turn of a conversation: when the reply so far matches `expect`, send `send`.
public struct ConversationTurn: Sendable, Equatable {
    public var expect: ReplyExpectation
    public var send: [UInt8]

    public init(expect: ReplyExpectation, send: [UInt8]) {
        self.expect = expect
        self.send = send
    }
}

/// An `expect m|REGEX|` of a conversation: a PCRE2 pattern over the bytes read so far,
/// matched within the standard limits on their first 16 KiB (a match that reaches a limit
/// counts as not met).
public struct ReplyExpectation: Sendable, Equatable, CustomStringConvertible {
    let pattern: CompiledPattern

    init(pattern: CompiledPattern) {
        self.pattern = pattern
    }

    /// Compiles `source` with the options `i` and `s` as in match lines.
    init(_ source: String, options: String = "") throws(RuleLineError) {
        pattern = try CompiledPattern(source, ignoresCase: options.contains("i"), dotAll: options.contains("s"))
    }

    /// True when the pattern matches `bytes` (their first 16 KiB).
    public func isMet(by bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        if case .match = pattern.match(Array(bytes.prefix(ServiceRules.matchedReplyLimit))) { return true }
        return false
    }

    public var description: String {
        "m|\(pattern.source)|" + (pattern.ignoresCase ? "i" : "") + (pattern.dotAll ? "s" : "")
    }

    public static func == (left: ReplyExpectation, right: ReplyExpectation) -> Bool {
        left.description == right.description
    }
}

/// What a port is, like nmap's `<service>` element. Names are nmap's (`ssh`, `http`, `mysql`,
/// ...); fields the evidence does not give are nil and left out of JSON.
public struct ServiceMatch: Codable, Sendable, Equatable {
    /// The service name, such as `ssh` or `http`.
    public var name: String
    /// The software, such as `OpenSSH`.
    public var product: String?
    /// The software's version, such as `9.2p1`.
    public var version: String?
    /// Anything else the reply told (nmap's `extrainfo`).
    public var info: String?
    /// The host name the service announced.
    public var hostname: String?
    /// The operating system the reply hints at.
    public var os: String?
    /// The device type the reply hints at.
    public var device: String?
    /// CPE names (`cpe:/a:openbsd:openssh:9.2p1`); omitted from JSON when empty.
    public var cpe: [String]
    /// `banner` (an unprompted reply matched), `probe` (a reply to a probe matched) or
    /// `port-table` (nothing matched; the name is the port's usual service).
    public var method: IdentificationMethod
    /// 0-10: 10 for a full match, 5 for a name-only (soft) match, 3 for the port table.
    public var confidence: Int
    /// The probe whose reply matched (`banner` for an unprompted reply); nil for the port table.
    public var probe: String?
    /// `ssl` when the reply came through TLS.
    public var tunnel: Tunnel?

    public init(
        name: String, product: String? = nil, version: String? = nil, info: String? = nil,
        hostname: String? = nil, os: String? = nil, device: String? = nil, cpe: [String] = [],
        method: IdentificationMethod, confidence: Int, probe: String? = nil, tunnel: Tunnel? = nil
    ) {
        self.name = name
        self.product = product
        self.version = version
        self.info = info
        self.hostname = hostname
        self.os = os
        self.device = device
        self.cpe = cpe
        self.method = method
        self.confidence = confidence
        self.probe = probe
        self.tunnel = tunnel
    }

    enum CodingKeys: String, CodingKey {
        case name, product, version, info, hostname, os, device, cpe, method, confidence, probe, tunnel
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        product = try container.decodeIfPresent(String.self, forKey: .product)
        version = try container.decodeIfPresent(String.self, forKey: .version)
        info = try container.decodeIfPresent(String.self, forKey: .info)
        hostname = try container.decodeIfPresent(String.self, forKey: .hostname)
        os = try container.decodeIfPresent(String.self, forKey: .os)
        device = try container.decodeIfPresent(String.self, forKey: .device)
        cpe = try container.decodeIfPresent([String].self, forKey: .cpe) ?? []
        method = try container.decode(IdentificationMethod.self, forKey: .method)
        confidence = try container.decode(Int.self, forKey: .confidence)
        probe = try container.decodeIfPresent(String.self, forKey: .probe)
        tunnel = try container.decodeIfPresent(Tunnel.self, forKey: .tunnel)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(product, forKey: .product)
        try container.encodeIfPresent(version, forKey: .version)
        try container.encodeIfPresent(info, forKey: .info)
        try container.encodeIfPresent(hostname, forKey: .hostname)
        try container.encodeIfPresent(os, forKey: .os)
        try container.encodeIfPresent(device, forKey: .device)
        if !cpe.isEmpty { try container.encode(cpe, forKey: .cpe) }
        try container.encode(method, forKey: .method)
        try container.encode(confidence, forKey: .confidence)
        try container.encodeIfPresent(probe, forKey: .probe)
        try container.encodeIfPresent(tunnel, forKey: .tunnel)
    }
}

/// Names rules files in errors.
public enum ServiceRulesFileKind: LineFileKind {
    public static let label: String? = nil
}

/// A malformed or unreadable rules file, with the line at fault.
public typealias ServiceRulesError = LineFileError<ServiceRulesFileKind>
