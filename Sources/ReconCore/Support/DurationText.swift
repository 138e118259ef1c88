/// Parses nmap-style durations: `500ms`, `2s`, `1.5s`, `1m`; a bare number is seconds.
public enum DurationText {
    /// Nanoseconds, or a one-line reason.
    public static func nanoseconds(_ text: String, option: String) throws(DurationError) -> Int64 {
        let lowered = text.trimmingWhitespace().lowercased()
        let units: [(suffix: String, scale: Double)] = [
            ("ms", 1e6), ("us", 1e3), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        var number = lowered
        var scale = 1e9
        if let unit = units.first(where: { lowered.hasSuffix($0.suffix) }) {
            number = String(lowered.dropLast(unit.suffix.count))
            scale = unit.scale
        }
        // At least a microsecond: `1e-10` would otherwise become 0 ns, a deadline already past.
        guard let value = Double(number), value.isFinite, value * scale >= 1e3, value * scale <= 3600e9 else {
            throw DurationError(
                description:
                    "invalid duration '\(text)' for \(option): use e.g. 500ms, 2s, 1.5s (at least 1us, at most 1h)"
            )
        }
        return Int64(value * scale)
    }
}

/// A malformed duration.
public struct DurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}
