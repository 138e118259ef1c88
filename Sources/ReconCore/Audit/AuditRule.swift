/// How much a finding matters, from `info` (a product named, nothing to fix) to `high`.
public enum AuditSeverity: String, Codable, Sendable, Comparable, CaseIterable {
    case info, low, medium, high

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: AuditSeverity, rhs: AuditSeverity) -> Bool { lhs.rank < rhs.rank }
}

/// Where an audit rule looks in what a port said.
public enum AuditInspection: Sendable, Hashable, CustomStringConvertible {
    /// The greeting the service sent unprompted (SSH, FTP, SMTP, POP3, IMAP, MySQL handshake...).
    case banner
    /// The reply to one named probe (`dns-version-bind`, `memcached`, `irc-register`...).
    case reply(String)
    /// One HTTP response header, by name (case-insensitive), in any HTTP response of the port.
    case httpHeader(String)
    /// The body of the response to a request for a page that does not exist.
    case httpErrorPage
    /// A field of the TLS certificate: `subject`, `issuer` or `san`.
    case tlsCertificate(String)

    /// Certificate fields a rule can name.
    static let certificateFields = ["subject", "issuer", "san"]

    /// As written in rules files and reports: `banner`, `reply NAME`, `http-header NAME`,
    /// `http-error-page`, `tls-cert FIELD`.
    public var description: String {
        switch self {
        case .banner: return "banner"
        case .reply(let probe): return "reply \(probe)"
        case .httpHeader(let name): return "http-header \(name)"
        case .httpErrorPage: return "http-error-page"
        case .tlsCertificate(let field): return "tls-cert \(field)"
        }
    }

    /// The same place, header names compared case-insensitively.
    func covers(_ other: AuditInspection) -> Bool {
        switch (self, other) {
        case (.httpHeader(let mine), .httpHeader(let theirs)): return mine.lowercased() == theirs.lowercased()
        default: return self == other
        }
    }
}

/// One rule of `policies/audit.rules`: where to look, what disclosure looks like there, and how
/// to stop it.
public struct AuditRule: Sendable {
    /// Stable identifier (`nginx-server-version`); findings and waivers name it.
    public let id: String
    public let severity: AuditSeverity
    /// One line saying what the rule detects.
    public let title: String
    /// Places inspected, in order.
    public let inspections: [AuditInspection]
    /// The finding's message; `$1`-`$9` are the pattern's groups. The title when absent.
    let message: VersionTemplate?
    /// The pattern over the inspected bytes (PCRE2, one character per byte).
    let pattern: CompiledPattern
    /// The setting that hides the disclosure, or what to do when none does.
    public let remediation: String
    /// False when no setting can hide it (OpenSSH's own version): reported, never failing a run.
    public let hideable: Bool
    /// `FILE:LINE` of the `rule` line.
    public let origin: String
}
