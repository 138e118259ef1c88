/// One TCP packet of a scan's handshake, as the wire saw it.
///
/// `flags` is tcpdump's compact form, the text `tcpdump -nn` prints between brackets:
/// the set flags in the order F S R P . U E W, where `.` is ACK, `E` ECE and `W` CWR.
/// So a SYN is `S`, a SYN-ACK `S.`, a bare ACK `.`, a reset `R` or `R.`, a FIN `F.`,
/// data `P.`, and a segment with no flag at all `none`.
public struct HandshakePacket: Codable, Sendable, Equatable {
    /// Microseconds since this port's first captured packet (0 for the first SYN).
    public var timeMicroseconds: Int64
    /// `out` (from the scanner) or `in` (from the target).
    public var direction: Direction
    /// TCP flags in tcpdump's compact form (see the type's documentation).
    public var flags: String
    /// The advertised receive window (unscaled, as on the wire).
    public var window: Int
    /// IPv4 TTL or IPv6 hop limit.
    public var ttl: Int
    /// TCP payload length in bytes.
    public var length: Int

    /// Which way a packet went; the raw values are the report's `dir` strings.
    public enum Direction: String, Codable, Sendable, Equatable, CaseIterable {
        /// From the scanner (the side that sent the SYN).
        case outbound = "out"
        /// From the target.
        case inbound = "in"
    }

    public init(timeMicroseconds: Int64, direction: Direction, flags: String, window: Int, ttl: Int, length: Int) {
        self.timeMicroseconds = timeMicroseconds
        self.direction = direction
        self.flags = flags
        self.window = window
        self.ttl = ttl
        self.length = length
    }

    enum CodingKeys: String, CodingKey {
        case flags, window, ttl
        case timeMicroseconds = "t_us"
        case direction = "dir"
        case length = "len"
    }
}

/// A port's handshake: the packets and what they say.
public struct Handshake: Codable, Sendable, Equatable {
    /// Every packet of every connection attempt to the port, in time order, at most
    /// `Handshake.packetLimit` (later ones still count towards the fields below).
    public var packets: [HandshakePacket]
    /// First SYN out to the first SYN-ACK or RST in; nil when neither came.
    public var wireRttMicroseconds: Int64?
    /// SYNs sent after the first one, whatever their source port.
    public var synRetransmissions: Int
    /// What answered the first SYN-ACK-or-RST: `syn-ack`, `rst` or `no-response`.
    public var wireReason: WireReason
    /// The packets' flags in one short line, ACK written `A`: `S SA A RA`.
    public var compact: String

    /// Packets kept per port; memory stays bounded however often a port is retried.
    public static let packetLimit = 32

    /// What answered the first SYN; the raw values are the report's `wire_reason` strings.
    public enum WireReason: String, Codable, Sendable, Equatable, CaseIterable {
        /// A SYN-ACK: something listens.
        case synAck = "syn-ack"
        /// A reset: nothing listens.
        case reset = "rst"
        /// Neither came back.
        case noResponse = "no-response"
    }

    public init(
        packets: [HandshakePacket], wireRttMicroseconds: Int64?, synRetransmissions: Int, wireReason: WireReason,
        compact: String
    ) {
        self.packets = packets
        self.wireRttMicroseconds = wireRttMicroseconds
        self.synRetransmissions = synRetransmissions
        self.wireReason = wireReason
        self.compact = compact
    }

    enum CodingKeys: String, CodingKey {
        case packets, compact
        case wireRttMicroseconds = "wire_rtt_us"
        case synRetransmissions = "syn_retransmits"
        case wireReason = "wire_reason"
    }
}

/// Capture statistics (libpcap's `pcap_stats`): packets received, dropped by the kernel
/// buffer, dropped by the interface.
public struct CaptureStatistics: Codable, Sendable, Equatable {
    /// Packets that passed the filter (on Linux including the dropped ones). On `lo` each packet
    /// is counted once (the kernel is told to skip the sent copy; before Linux 4.20 it hands
    /// libpcap the sent and the received copy, and both are counted).
    public var received: Int
    /// Packets lost because the kernel buffer was full; raise the buffer size if not 0.
    public var dropped: Int
    /// Packets the interface or its driver dropped.
    public var interfaceDropped: Int

    public init(received: Int, dropped: Int, interfaceDropped: Int) {
        self.received = received
        self.dropped = dropped
        self.interfaceDropped = interfaceDropped
    }

    enum CodingKeys: String, CodingKey {
        case received, dropped
        case interfaceDropped = "interface_dropped"
    }
}

/// What the capture saw as a whole, for the run header.
public struct CaptureSummary: Codable, Sendable, Equatable {
    /// Interfaces captured on (`lo`, ...).
    public var interfaces: [String]
    /// The BPF filter used.
    public var filter: String
    /// The pcap file written, if any.
    public var pcapOut: String?
    /// libpcap's counters; `dropped` above 0 means packets were lost (raise --capture-buffer).
    public var statistics: CaptureStatistics

    enum CodingKeys: String, CodingKey {
        case interfaces, filter, statistics
        case pcapOut = "pcap_out"
    }

    public init(interfaces: [String], filter: String, pcapOut: String?, statistics: CaptureStatistics) {
        self.interfaces = interfaces
        self.filter = filter
        self.pcapOut = pcapOut
        self.statistics = statistics
    }
}
