#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A port's state, in nmap's words (plus `error` for a local failure that persisted).
public enum PortState: String, Sendable, CaseIterable, Codable {
    case open
    case closed
    case filtered
    /// recon itself failed to test the port (out of descriptors or source ports), persistently.
    case error
}

/// Why a port got its state, in nmap's reason vocabulary.
public enum PortReason: String, Sendable, CaseIterable, Codable {
    /// The connect completed: the service answered the SYN.
    case synAck = "syn-ack"
    /// The connect was refused: a RST came back.
    case connRefused = "conn-refused"
    /// No answer before the timeout, after every retry.
    case noResponse = "no-response"
    /// ICMP host unreachable (or another host-level ICMP error).
    case hostUnreach = "host-unreach"
    /// ICMP network unreachable.
    case netUnreach = "net-unreach"
    /// A local firewall forbade the connect (EACCES/EPERM).
    case adminProhibited = "admin-prohibited"
    /// Every attempt connected the socket to itself (TCP self-connect): nothing listens.
    case selfConnect = "self-connect"
    /// A local resource error persisted; see `errno`.
    case localError = "local-error"
    /// Another error from the kernel; see `errno`.
    case otherError = "error"
}

/// The outcome of one port on one target.
public struct PortResult: Sendable, Equatable {
    /// The TCP port.
    public var port: UInt16
    /// open, closed, filtered or error.
    public var state: PortState
    /// nmap's reason word.
    public var reason: PortReason
    /// Round-trip time of the deciding connect in nanoseconds; nil when nothing answered.
    public var rttNanoseconds: Int64?
    /// The errno behind a filtered or error result (0 when none).
    public var errno: Int32
    /// Connects made for this port (1 + retries used).
    public var attempts: Int

    public init(
        port: UInt16, state: PortState, reason: PortReason, rttNanoseconds: Int64?, errno: Int32 = 0, attempts: Int = 1
    ) {
        self.port = port
        self.state = state
        self.reason = reason
        self.rttNanoseconds = rttNanoseconds
        self.errno = errno
        self.attempts = attempts
    }

    /// Round-trip time in milliseconds.
    public var rttMilliseconds: Double? { rttNanoseconds.map { Double($0) / 1_000_000 } }

    /// The symbolic errno name (`EHOSTUNREACH`), nil for 0.
    public var errnoName: String? { errno == 0 ? nil : ErrnoName.name(errno) }
}

/// How the kernel's answer to a connect maps to a port state. Classify on errno, never text.
public enum ConnectOutcome: Equatable, Sendable {
    /// A final answer for the port.
    case final(PortState, PortReason)
    /// Nothing answered: retry or, when retries are spent, filtered/no-response.
    case timedOut
    /// recon ran out of something locally: back off and retry; never a port state.
    case localFailure

    /// Classifies a completed connect's errno (0 = connected).
    public static func classify(errno code: Int32) -> ConnectOutcome {
        switch code {
        case 0: return .final(.open, .synAck)
        case ECONNREFUSED: return .final(.closed, .connRefused)
        case EHOSTUNREACH, EHOSTDOWN: return .final(.filtered, .hostUnreach)
        case ENETUNREACH, ENETDOWN, ENONET: return .final(.filtered, .netUnreach)
        case EACCES, EPERM: return .final(.filtered, .adminProhibited)
        case ETIMEDOUT: return .timedOut
        case EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL, EAGAIN, EADDRINUSE: return .localFailure
        default: return .final(.error, .otherError)
        }
    }
}

/// Symbolic names for the errno values a scan can meet.
enum ErrnoName {
    /// Built once: a report names an errno for every filtered or failed port.
    private static let names: [Int32: String] = [
        EPERM: "EPERM", EACCES: "EACCES", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EMFILE: "EMFILE",
        ENFILE: "ENFILE", ENOBUFS: "ENOBUFS", EADDRNOTAVAIL: "EADDRNOTAVAIL", EADDRINUSE: "EADDRINUSE",
        ECONNREFUSED: "ECONNREFUSED", ECONNRESET: "ECONNRESET", EHOSTUNREACH: "EHOSTUNREACH",
        EHOSTDOWN: "EHOSTDOWN", ENETUNREACH: "ENETUNREACH", ENETDOWN: "ENETDOWN", ENONET: "ENONET",
        ETIMEDOUT: "ETIMEDOUT", EINVAL: "EINVAL", EAFNOSUPPORT: "EAFNOSUPPORT", EPROTO: "EPROTO",
    ]

    static func name(_ code: Int32) -> String {
        names[code] ?? "errno \(code)"
    }
}
