/// A contiguous block of addresses: `127.0.0.0/8`, `::1/128`, or one address.
public struct CIDRBlock: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block (host bits cleared).
    public let network: IPAddress
    /// Prefix length in bits.
    public let prefixLength: Int

    /// Makes a block, clearing the host bits of `address`.
    public init?(address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.bitWidth else { return nil }
        self.prefixLength = prefixLength
        let mask = Self.mask(width: address.bitWidth, prefix: prefixLength)
        switch address {
        case .v4(let value): network = .v4(value & UInt32(truncatingIfNeeded: mask))
        case .v6(let value): network = .v6(value & mask)
        }
    }

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil if malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        var prefix = address.bitWidth
        if parts.count == 2 {
            guard let value = Self.prefixLength(parts[1]) else { return nil }
            prefix = value
            // `::ffff:10.0.0.0/104` names an IPv4 block through the mapped form.
            if address.isIPv4 && parts[0].contains(":") { prefix -= 96 }
        }
        self.init(address: address, prefixLength: prefix)
    }

    /// A prefix length written plainly: decimal digits, no sign, no leading zero (`/8`, not
    /// `/+8` or `/08`), at most three of them.
    private static func prefixLength(_ text: Substring) -> Int? {
        let digits = text.utf8
        guard (1...3).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
            digits.count == 1 || digits.first != 0x30
        else { return nil }
        return Int(text)
    }

    /// True when the block covers more than a /8 of its family (`0.0.0.0/0`, `::/0`, `10.0.0.0/7`):
    /// such allow rules must be acknowledged with `allow-wide`.
    public var isWide: Bool { prefixLength < 8 }

    /// True if `address` is inside the block (same family).
    public func contains(_ address: IPAddress) -> Bool {
        guard address.isIPv4 == network.isIPv4 else { return false }
        let mask = Self.mask(width: network.bitWidth, prefix: prefixLength)
        return address.bits & mask == network.bits
    }

    /// Number of addresses in the block, saturating at `UInt128.max`.
    public var size: UInt128 {
        let hostBits = network.bitWidth - prefixLength
        return hostBits >= 128 ? UInt128.max : UInt128(1) << UInt128(hostBits)
    }

    /// Every address of the block in order (callers bound `size` first).
    public func addresses() -> [IPAddress] {
        let count = Int(clamping: size)
        return (0..<count).map { offset in
            switch network {
            case .v4(let value): return .v4(value + UInt32(offset))
            case .v6(let value): return .v6(value + UInt128(offset))
            }
        }
    }

    public var description: String { "\(network)/\(prefixLength)" }

    private static func mask(width: Int, prefix: Int) -> UInt128 {
        guard prefix > 0 else { return 0 }
        let all: UInt128 = width == 128 ? .max : (UInt128(1) << UInt128(width)) - 1
        return all & ~((UInt128(1) << UInt128(width - prefix)) - 1)
    }
}
