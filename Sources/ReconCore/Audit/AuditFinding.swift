/// One disclosure found: which rule, where, the exact evidence, how to hide it, and a stable
/// fingerprint to waive it by. Says "disclosed", never "vulnerable".
public struct AuditFinding: Codable, Sendable, Equatable {
    /// The rule's id.
    public var rule: String
    public var severity: AuditSeverity
    /// The rule's title.
    public var title: String
    /// What was disclosed (`nginx version 1.22.1 disclosed`).
    public var message: String
    /// The address and, when given, the host name it came from.
    public var host: String
    public var hostname: String?
    public var port: Int
    /// The identified service name, when known.
    public var service: String?
    public var evidence: AuditEvidence
    public var remediation: String
    /// False when no setting can hide this disclosure; such findings never fail a run.
    public var hideable: Bool
    /// 16 hex digits of SHA-256 over rule, address, port and place: stable across runs and
    /// version changes, so a waiver keeps applying until the place stops disclosing.
    public var fingerprint: String
    /// The waiver that applies, if any; a waived finding never fails a run.
    public var waiver: AppliedWaiver?
    /// With `--baseline`: new, unchanged (known: never fails the run) or absent (gone since).
    public var baselineState: BaselineState?

    enum CodingKeys: String, CodingKey {
        case rule, severity, title, message, host, hostname, port, service, evidence, remediation, hideable
        case fingerprint, waiver
        case baselineState = "baseline_state"
    }

    /// `HOST:PORT`, IPv6 addresses in brackets.
    public var endpoint: String {
        (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }

    /// The fingerprint of a finding of `rule` at `place` on `host`:`port`.
    public static func fingerprint(rule: String, host: String, port: Int, place: String) -> String {
        String(SHA256.hex(Array("recon-audit/1|\(rule)|\(host)|\(port)|\(place)".utf8)).prefix(16))
    }
}

/// The bytes that disclose, and where they were seen.
public struct AuditEvidence: Codable, Sendable, Equatable {
    /// The place inspected (`banner`, `http-header Server`, `http-error-page`, `reply redis-info`,
    /// `tls-cert subject`).
    public var location: String
    /// The exchange that carried it: `banner`, or the probe or request name (`http`,
    /// `http-error-page`, `tls-http`...); `tls` for certificate fields.
    public var exchange: String
    /// What recon sent to get it (`GET /.recon-audit-not-found`), when it sent something.
    public var request: String?
    /// The matched bytes: printable rendering, exact bytes (base64), their offset in the reply
    /// (or certificate field) and their length.
    public var text: String
    public var base64: String
    public var offset: Int
    public var length: Int
    /// The line of the reply around the match, printable, at most 200 characters.
    public var context: String

    enum CodingKeys: String, CodingKey {
        case location, exchange, request, text, offset, length, context
        case base64 = "b64"
    }
}

/// The waiver that silenced a finding.
public struct AppliedWaiver: Codable, Sendable, Equatable {
    /// Why the finding is accepted.
    public var reason: String
    /// Last day it applies (`YYYY-MM-DD`, UTC), if it expires.
    public var expires: String?
    /// `FILE:LINE` of the waiver.
    public var origin: String
}
