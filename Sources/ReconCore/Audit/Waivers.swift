/// Accepted findings, read from waiver files (`--waivers`, format in the README and
/// `policies/audit-waivers.example`): one `waive` line each, by fingerprint or by rule (and
/// optionally port and host), with a reason and an optional last day.
public struct Waivers: Sendable {
    /// One waiver line.
    public struct Waiver: Sendable, Equatable {
        /// A finding's fingerprint, or nil to select by rule.
        public var fingerprint: String?
        public var rule: String?
        public var port: Int?
        public var host: IPAddress?
        public var reason: String
        /// Last day it applies, `YYYY-MM-DD` (UTC), inclusive.
        public var expires: String?
        /// `FILE:LINE`.
        public var origin: String

        func selects(_ finding: AuditFinding) -> Bool {
            if let fingerprint { return fingerprint == finding.fingerprint }
            guard rule == finding.rule else { return false }
            if let port, port != finding.port { return false }
            if let host, IPAddress(finding.host) != host { return false }
            return true
        }

        /// What it selects, as written (`fingerprint 1a2b...`, `rule ssh-version port 22`).
        var selector: String {
            if let fingerprint { return "fingerprint \(fingerprint)" }
            var text = "rule \(rule ?? "")"
            if let port { text += " port \(port)" }
            if let host { text += " host \(host)" }
            return text
        }
    }

    public private(set) var waivers: [Waiver] = []

    public init() {}

    /// Parses waiver text; `path` labels waivers and errors.
    public init(path: String, text: String) throws(WaiverFileError) {
        for (index, line) in text.linesWithoutComments().enumerated() {
            var words = line.words()
            guard let first = words.first else { continue }
            let number = index + 1
            let fail = { (message: String) in WaiverFileError(path: path, line: number, message: message) }
            guard first == "waive" else { throw fail("expected 'waive', found '\(first)'") }
            words.removeFirst()
            var waiver = Waiver(reason: "", origin: "\(path):\(number)")
            parsing: while !words.isEmpty {
                let keyword = String(words.removeFirst())
                if keyword == "reason" { break parsing }
                guard let value = words.first.map(String.init) else { throw fail("'\(keyword)' needs a value") }
                words.removeFirst()
                switch keyword {
                case "fingerprint":
                    guard value.count == 16, value.allSatisfy(\.isHexDigit), value == value.lowercased() else {
                        throw fail("a fingerprint is 16 lowercase hex digits, not '\(value)'")
                    }
                    waiver.fingerprint = value
                case "rule":
                    waiver.rule = value
                case "port":
                    guard let port = Int(value), (1...65535).contains(port) else {
                        throw fail("port must be 1-65535, not '\(value)'")
                    }
                    waiver.port = port
                case "host":
                    guard let host = IPAddress(value) else { throw fail("'\(value)' is not an IP address") }
                    waiver.host = host
                case "expires":
                    guard Self.isDate(value) else { throw fail("expires takes a date YYYY-MM-DD, not '\(value)'") }
                    waiver.expires = value
                default:
                    throw fail("unknown word '\(keyword)': expected fingerprint, rule, port, host, expires or reason")
                }
            }
            waiver.reason = words.joined(separator: " ")
            guard !waiver.reason.isEmpty else { throw fail("a waiver needs 'reason TEXT', last on the line") }
            guard (waiver.fingerprint == nil) != (waiver.rule == nil) else {
                throw fail("a waiver names either 'fingerprint HEX' or 'rule ID' (with optional port and host)")
            }
            if waiver.fingerprint != nil, waiver.port != nil || waiver.host != nil {
                throw fail("'port' and 'host' go with 'rule', not with 'fingerprint'")
            }
            waivers.append(waiver)
        }
    }

    /// Reads and parses a waiver file from disk.
    public init(contentsOf path: String) throws(WaiverFileError) {
        self = try TextFile.parse(path) { text throws(WaiverFileError) in try Waivers(path: path, text: text) }
    }

    /// These waivers and `other`'s.
    public func merging(_ other: Waivers) -> Waivers {
        var merged = self
        merged.waivers += other.waivers
        return merged
    }

    /// `findings` with the first unexpired waiver that selects each attached, and what became
    /// of every waiver on `today` (`YYYY-MM-DD`): expired ones no longer apply.
    public func apply(to findings: [AuditFinding], today: String) -> ([AuditFinding], [WaiverStatus]) {
        var statuses = waivers.map { waiver in
            WaiverStatus(
                origin: waiver.origin, selector: waiver.selector, reason: waiver.reason, expires: waiver.expires,
                expired: waiver.expires.map { $0 < today } ?? false, matched: 0)
        }
        var result = findings
        for index in result.indices {
            for (waiverIndex, waiver) in waivers.enumerated() where waiver.selects(result[index]) {
                statuses[waiverIndex].matched += 1
                guard !statuses[waiverIndex].expired, result[index].waiver == nil else { continue }
                result[index].waiver = AppliedWaiver(
                    reason: waiver.reason, expires: waiver.expires, origin: waiver.origin)
            }
        }
        return (result, statuses)
    }

    /// `YYYY-MM-DD` naming a real day.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        // Digits only: Int() takes a sign, and `+027-03-31` would sort before every real day.
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }
}

/// What became of one waiver in a run: whether it expired and how many findings it selected.
public struct WaiverStatus: Codable, Sendable, Equatable {
    /// `FILE:LINE`.
    public var origin: String
    public var selector: String
    public var reason: String
    public var expires: String?
    /// True once its last day has passed: it no longer applies, and the run says so.
    public var expired: Bool
    /// Findings it selected (expired waivers count too, to show what they would hide).
    public var matched: Int
}

/// Names waivers files in errors.
public enum WaiverFileKind: LineFileKind {
    public static let label: String? = "waivers"
}

/// A malformed or unreadable waivers file, with the line at fault.
public typealias WaiverFileError = LineFileError<WaiverFileKind>
