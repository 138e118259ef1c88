/// How an identification was made. Raw values are the report's words.
public enum IdentificationMethod: String, Codable, Sendable {
    /// An unprompted reply (the banner) matched.
    case banner
    /// A reply to a probe matched.
    case probe
    /// Nothing matched; the name is the port's usual service.
    case portTable = "port-table"
}

/// The layer a reply came through. Raw values are the report's words.
public enum Tunnel: String, Codable, Sendable {
    /// TLS (nmap's word).
    case ssl
}

/// Why an exchange with a port ended. Raw values are the report's words.
public enum ExchangeEnd: String, Codable, Sendable {
    /// The service closed the connection.
    case closed
    /// Bytes arrived and then nothing for the idle gap.
    case idle
    /// The HTTP response was complete (Content-Length).
    case complete
    /// The byte cap was reached.
    case cap
    /// The port's deadline passed.
    case deadline
    /// The connection was refused or reset.
    case refused, reset
    /// Another error (TLS handshake failure, unreachable).
    case error
    /// The scan was stopped (SIGINT, SIGTERM) while the exchange ran; what was read is kept.
    case interrupted
    /// recon ran out of something locally (EMFILE, ENFILE, ENOBUFS, EADDRNOTAVAIL): the port
    /// was not reached. The prober retries; never written to a report.
    case local
}

/// The names of the exchanges recon itself makes (custom probes of the rules have their own
/// names): rules sections, reply places and report fields use these words.
public enum ProbeName {
    /// What a port says unprompted.
    public static let banner = "banner"
    /// recon's HTTP GET, plain and inside TLS.
    public static let http = "http"
    public static let tlsHTTP = "tls-http"
    /// Rules of this section match every reply.
    public static let any = "any"
}
