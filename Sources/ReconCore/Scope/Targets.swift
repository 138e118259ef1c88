import CReconShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A target as the user wrote it, with every address it stands for.
public struct ResolvedTarget: Sendable, Equatable {
    /// The text given (`localhost`, `127.0.0.0/29`, `::1`).
    public let spec: String
    /// The host name, when the target was one (not for literals or blocks).
    public let hostname: String?
    /// Every address, in resolution order, unique.
    public let addresses: [IPAddress]

    public init(spec: String, hostname: String?, addresses: [IPAddress]) {
        self.spec = spec
        self.hostname = hostname
        self.addresses = addresses
    }
}

/// A target that could not be understood or resolved.
public struct TargetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why, in one line, naming the target.
    public let description: String
    /// True when the target was well formed but its name did not resolve.
    public let unresolved: Bool

    public init(description: String, unresolved: Bool = false) {
        self.description = description
        self.unresolved = unresolved
    }
}

/// Turns target texts into addresses: literals, CIDR blocks, host names (every address kept).
public struct TargetResolver: Sendable {
    /// Largest number of addresses one run may cover.
    public static let maximumAddresses = 65536

    /// Looks up a host name; returns its addresses or throws a one-line reason.
    public typealias Lookup = @Sendable (String) throws(TargetError) -> [IPAddress]

    private let lookup: Lookup

    /// A resolver using `lookup` for host names (default: the system resolver).
    public init(lookup: @escaping Lookup = TargetResolver.systemLookup) {
        self.lookup = lookup
    }

    /// Resolves each target; throws on the first that is malformed or does not resolve.
    public func resolve(_ specs: [String]) throws(TargetError) -> [ResolvedTarget] {
        var total = 0
        var resolved: [ResolvedTarget] = []
        for spec in specs {
            let target = try resolve(spec)
            total += target.addresses.count
            guard total <= Self.maximumAddresses else {
                throw TargetError(description: "too many addresses: more than \(Self.maximumAddresses) in one run")
            }
            resolved.append(target)
        }
        return resolved
    }

    /// Resolves one target text.
    public func resolve(_ spec: String) throws(TargetError) -> ResolvedTarget {
        let text = spec.trimmingWhitespace()
        guard !text.isEmpty else { throw TargetError(description: "empty target") }
        if let address = IPAddress(text) {
            return ResolvedTarget(spec: text, hostname: nil, addresses: [address])
        }
        if text.contains("/") {
            guard let block = CIDRBlock(text) else {
                throw TargetError(description: "invalid CIDR block '\(text)'")
            }
            guard block.size <= UInt128(Self.maximumAddresses) else {
                throw TargetError(description: "CIDR block '\(text)' has more than \(Self.maximumAddresses) addresses")
            }
            return ResolvedTarget(spec: text, hostname: nil, addresses: block.addresses())
        }
        guard Self.isHostName(text) else {
            throw TargetError(description: "invalid target '\(text)': not an IP address, CIDR block or host name")
        }
        var unique: [IPAddress] = []
        for address in try lookup(text) where !unique.contains(address) {
            unique.append(address)
        }
        guard !unique.isEmpty else {
            throw TargetError(description: "'\(text)' resolved to no address", unresolved: true)
        }
        return ResolvedTarget(spec: text, hostname: text, addresses: unique)
    }

    /// Reads a target list (`-iL`; `-` is standard input): targets separated by white space,
    /// `#` comments.
    public static func readList(path: String) throws(TargetError) -> [String] {
        let text: String
        do {
            text = try TextFile.read(path == "-" ? "/dev/stdin" : path)
        } catch {
            throw TargetError(description: "target list \(path): \(error.description)")
        }
        var targets: [String] = []
        for content in text.linesWithoutComments() {
            targets += content.words().map(String.init)
        }
        return targets
    }

    /// RFC 1123 host name shape: labels of letters, digits and hyphens.
    static func isHostName(_ text: String) -> Bool {
        guard text.utf8.count <= 253 else { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy {
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
                }
        } && !(labels.last?.allSatisfy(\.isNumber) ?? false)
    }

    /// The system resolver (getaddrinfo), TCP addresses of both families.
    public static let systemLookup: Lookup = { (name: String) throws(TargetError) -> [IPAddress] in
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0 else {
            throw TargetError(
                description: "cannot resolve '\(name)': \(String(cString: gai_strerror(status)))", unresolved: true)
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ai_next }
            guard let raw = entry.pointee.ai_addr else { continue }
            if let address = IPAddress(UnsafePointer(raw)) { addresses.append(address) }
        }
        return addresses
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line ends.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
