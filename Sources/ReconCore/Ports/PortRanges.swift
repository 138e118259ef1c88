/// A set of ports kept as sorted, disjoint ranges: what a host's closed ports cost when they are
/// summarised (a full range of closed ports is one range, not 65535 entries). Ports may be added
/// in any order; adding the next port of a run is the common, constant-time case.
public struct PortRanges: Sendable, Equatable, CustomStringConvertible {
    /// The ranges, ascending and disjoint, none adjacent to the next.
    public private(set) var ranges: [ClosedRange<UInt16>] = []
    /// How many ports the set holds.
    public private(set) var count = 0

    public init() {}

    /// The set of `ports`.
    public init(_ ports: some Sequence<UInt16>) {
        for port in ports { insert(port) }
    }

    /// Adds `port` (a port already in the set is ignored).
    public mutating func insert(_ port: UInt16) {
        // Results arrive nearly in port order: extending or following the last range is the rule.
        if let last = ranges.last {
            if port > last.upperBound {
                if port == last.upperBound + 1 {
                    ranges[ranges.count - 1] = last.lowerBound...port
                } else {
                    ranges.append(port...port)
                }
                count += 1
                return
            }
            if last.contains(port) { return }
        } else {
            ranges.append(port...port)
            count += 1
            return
        }
        // Out of order: the first range ending at or after the port.
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < port { low = middle + 1 } else { high = middle }
        }
        if ranges[low].contains(port) { return }
        count += 1
        // (No `port + 1` or `port - 1`: they would overflow at the ends of the port space.)
        let joinsNext = ranges[low].lowerBound - 1 == port  // lowerBound > port >= 0 here
        let joinsPrevious = low > 0 && ranges[low - 1].upperBound + 1 == port  // upperBound < port
        switch (joinsPrevious, joinsNext) {
        case (true, true):
            ranges[low - 1] = ranges[low - 1].lowerBound...ranges[low].upperBound
            ranges.remove(at: low)
        case (true, false): ranges[low - 1] = ranges[low - 1].lowerBound...port
        case (false, true): ranges[low] = port...ranges[low].upperBound
        case (false, false): ranges.insert(port...port, at: low)
        }
    }

    /// True if `port` is in the set.
    public func contains(_ port: UInt16) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < port { low = middle + 1 } else { high = middle }
        }
        return low < ranges.count && ranges[low].contains(port)
    }

    /// Every port, ascending.
    public var ports: [UInt16] { ranges.flatMap { Array($0) } }

    /// The compact text form of port lists: `1-21,23-79,81` (empty for no port); `PortList`
    /// parses it back.
    public var description: String {
        ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }
}

extension PortRanges {
    /// The set of the ports in `ranges` (in any order, overlapping or not).
    public init(ranges: some Sequence<ClosedRange<UInt16>>) {
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = self.ranges.last, Int(range.lowerBound) <= Int(last.upperBound) + 1 {
                if range.upperBound > last.upperBound {
                    self.ranges[self.ranges.count - 1] = last.lowerBound...range.upperBound
                }
            } else {
                self.ranges.append(range)
            }
        }
        count = self.ranges.reduce(0) { $0 + $1.count }
    }

    /// The ports in this set and in `other`.
    public func intersection(_ other: PortRanges) -> PortRanges {
        var result: [ClosedRange<UInt16>] = []
        var (left, right) = (0, 0)
        while left < ranges.count && right < other.ranges.count {
            let (a, b) = (ranges[left], other.ranges[right])
            let low = max(a.lowerBound, b.lowerBound)
            let high = min(a.upperBound, b.upperBound)
            if low <= high { result.append(low...high) }
            if a.upperBound < b.upperBound { left += 1 } else { right += 1 }
        }
        return PortRanges(ranges: result)
    }

    /// The ports in this set and not in `other`.
    public func subtracting(_ other: PortRanges) -> PortRanges {
        var result: [ClosedRange<UInt16>] = []
        var right = 0
        for range in ranges {
            var low = Int(range.lowerBound)
            let high = Int(range.upperBound)
            while right < other.ranges.count && Int(other.ranges[right].upperBound) < low { right += 1 }
            var index = right
            while low <= high && index < other.ranges.count && Int(other.ranges[index].lowerBound) <= high {
                let cut = other.ranges[index]
                if Int(cut.lowerBound) > low { result.append(UInt16(low)...UInt16(Int(cut.lowerBound) - 1)) }
                low = max(low, Int(cut.upperBound) + 1)
                index += 1
            }
            if low <= high { result.append(UInt16(low)...UInt16(high)) }
        }
        return PortRanges(ranges: result)
    }

    /// The ports in this set or in `other`.
    public func union(_ other: PortRanges) -> PortRanges {
        PortRanges(ranges: ranges + other.ranges)
    }
}
