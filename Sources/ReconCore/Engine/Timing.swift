#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How long to wait for a connect before calling it unanswered.
public enum TimeoutPolicy: Sendable, Equatable {
    /// Learn from the round-trip times seen on each host (nmap style), clamped to [minimum, maximum];
    /// `initial` applies until the first answer arrives. Nanoseconds.
    case adaptive(initial: Int64, minimum: Int64, maximum: Int64)
    /// Always wait exactly this long. Nanoseconds.
    case fixed(Int64)

    /// nmap's defaults: 1 s initial, 100 ms minimum, 10 s maximum.
    public static let standard = TimeoutPolicy.adaptive(
        initial: 1_000_000_000, minimum: 100_000_000, maximum: 10_000_000_000)

    /// The policy the timeout options ask for (durations as `DurationText` reads them): a fixed
    /// timeout, or the adaptive one with the bounds given (nmap's defaults for the others).
    public static func parse(fixed: String?, minimum: String?, maximum: String?, initial: String?)
        throws(DurationError) -> TimeoutPolicy
    {
        if let fixed { return .fixed(try DurationText.nanoseconds(fixed, option: "--timeout")) }
        guard case .adaptive(let standardInitial, let standardMinimum, let standardMaximum) = standard else {
            return standard
        }
        let low =
            try minimum.map { text throws(DurationError) in
                try DurationText.nanoseconds(text, option: "--min-timeout")
            } ?? standardMinimum
        let high =
            try maximum.map { text throws(DurationError) in
                try DurationText.nanoseconds(text, option: "--max-timeout")
            } ?? standardMaximum
        let start =
            try initial.map { text throws(DurationError) in
                try DurationText.nanoseconds(text, option: "--initial-timeout")
            } ?? standardInitial
        guard low <= high else { throw DurationError(description: "--min-timeout is greater than --max-timeout") }
        return .adaptive(initial: start, minimum: low, maximum: high)
    }
}

/// Smoothed round-trip time and variance of one host (RFC 6298, as nmap uses them).
public struct RTTEstimator: Sendable, Equatable {
    /// Smoothed RTT in nanoseconds; nil before the first sample.
    public private(set) var smoothed: Int64?
    /// RTT variance in nanoseconds.
    public private(set) var variance: Int64 = 0
    /// Samples seen.
    public private(set) var samples: Int = 0

    /// nmap keeps the variance at least 5 ms so one lucky sample cannot shrink the timeout to nothing.
    static let minimumVariance: Int64 = 5_000_000

    public init() {}

    /// Adds one measured round trip.
    public mutating func add(_ rtt: Int64) {
        samples += 1
        guard let srtt = smoothed else {
            smoothed = rtt
            variance = max(Self.minimumVariance, rtt / 2)
            return
        }
        let delta = rtt - srtt
        smoothed = srtt + delta / 8
        variance = max(Self.minimumVariance, variance + (abs(delta) - variance) / 4)
    }

    /// The connect timeout this estimate implies under `policy`.
    public func timeout(_ policy: TimeoutPolicy) -> Int64 {
        switch policy {
        case .fixed(let value):
            return value
        case .adaptive(let initial, let minimum, let maximum):
            guard let srtt = smoothed else { return min(max(initial, minimum), maximum) }
            return min(max(srtt + 4 * variance, minimum), maximum)
        }
    }
}

/// Monotonic clock in nanoseconds.
@inline(__always)
public func monotonicNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}
