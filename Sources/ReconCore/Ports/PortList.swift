/// A sorted set of TCP ports parsed from nmap-style text: `1-1024`, `22,80,8000-8100`,
/// `-` or `all` (1-65535), open-ended `-100` and `60000-`.
public struct PortList: Sendable, Equatable, CustomStringConvertible {
    /// The ports, ascending, unique.
    public let ports: [UInt16]

    /// Every port, 1-65535.
    public static let all = PortList(sorted: Array(1...65535))

    private init(sorted ports: [UInt16]) {
        self.ports = ports
    }

    /// Parses a port specification; throws a one-line reason naming the bad item.
    public init(parsing text: String) throws(PortSpecError) {
        let spec = text.trimmingWhitespace()
        guard !spec.isEmpty else { throw PortSpecError(description: "empty port list") }
        if spec == "-" || spec.lowercased() == "all" {
            self = .all
            return
        }
        var ranges: [ClosedRange<UInt16>] = []
        for item in spec.split(separator: ",", omittingEmptySubsequences: false) {
            ranges.append(try Self.parseItem(String(item), in: spec))
        }
        // Short lists (the rules files have dozens of them) are sorted directly; long ones go
        // through a bitmap of every port.
        if ranges.reduce(0, { $0 + $1.count }) <= 4096 {
            var sorted = ranges.flatMap { $0 }.sorted()
            sorted.removeDuplicatesFromSorted()
            ports = sorted
            return
        }
        var included = [Bool](repeating: false, count: 65536)
        for range in ranges {
            for port in range { included[Int(port)] = true }
        }
        ports = (1...65535).filter { included[$0] }.map(UInt16.init)
    }

    /// This list without the ports of `other` (`--exclude-ports`).
    public func excluding(_ other: PortList) -> PortList {
        let removed = Set(other.ports)
        return PortList(sorted: ports.filter { !removed.contains($0) })
    }

    /// Compact text form: `22,80,8000-8100`.
    public var description: String {
        var parts: [String] = []
        var index = 0
        while index < ports.count {
            var end = index
            while end + 1 < ports.count, ports[end + 1] == ports[end] + 1 { end += 1 }
            parts.append(end == index ? "\(ports[index])" : "\(ports[index])-\(ports[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }

    private static func parseItem(_ raw: String, in spec: String) throws(PortSpecError) -> ClosedRange<UInt16> {
        let item = raw.trimmingWhitespace()
        guard !item.isEmpty else {
            throw PortSpecError(description: "empty item in port list '\(spec)'")
        }
        if item == "-" { return 1...65535 }
        let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count <= 2 else { throw PortSpecError(description: "invalid port range '\(item)'") }
        let low = bounds[0].isEmpty && bounds.count == 2 ? 1 : try parsePort(String(bounds[0]), item: item)
        let high = bounds.count == 1 ? low : bounds[1].isEmpty ? 65535 : try parsePort(String(bounds[1]), item: item)
        guard low <= high else {
            throw PortSpecError(description: "reversed port range '\(item)': \(low) is greater than \(high)")
        }
        return UInt16(low)...UInt16(high)
    }

    private static func parsePort(_ text: String, item: String) throws(PortSpecError) -> Int {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let value = Int(text)
        else {
            throw PortSpecError(description: "invalid port '\(text)' in '\(item)': ports are numbers 1-65535")
        }
        guard (1...65535).contains(value) else {
            throw PortSpecError(description: "port \(value) out of range in '\(item)': ports are 1-65535")
        }
        return value
    }
}

/// A malformed port specification.
public struct PortSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why, in one line, naming the item.
    public let description: String
}

extension Array where Element: Equatable {
    /// Keeps the first of each run of equal elements (all duplicates, when sorted).
    fileprivate mutating func removeDuplicatesFromSorted() {
        var kept = 0
        for index in indices where kept == 0 || self[index] != self[kept - 1] {
            self[kept] = self[index]
            kept += 1
        }
        removeLast(count - kept)
    }
}
