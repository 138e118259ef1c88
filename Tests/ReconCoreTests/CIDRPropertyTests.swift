import PropertyBased
import Testing

@testable import ReconCore

/// CIDR arithmetic against a model written here: a block holds exactly the addresses that equal
/// its network under its mask; its size is 2^(host bits); its network is its first address.
@Suite("CIDR block properties")
struct CIDRPropertyTests {
    /// The mask of `prefix` bits in a `width`-bit family, as the model computes it.
    static func mask(_ prefix: Int, width: Int) -> UInt128 {
        let all: UInt128 = width == 128 ? .max : (1 << UInt128(width)) - 1
        return prefix == 0 ? 0 : all & ~(all >> UInt128(prefix))
    }

    /// A generated address of either family. IPv6 ones get their top bit set, so that neither
    /// they nor any address derived from them is IPv4-mapped (which reads back as IPv4).
    static func address(_ value: UInt128, v4: Bool) -> IPAddress {
        v4 ? .v4(UInt32(truncatingIfNeeded: value)) : .v6(value | 1 << 127)
    }

    /// An address computed from another's bits, in the same family.
    static func derived(_ bits: UInt128, v4: Bool) -> IPAddress {
        v4 ? .v4(UInt32(truncatingIfNeeded: bits)) : .v6(bits)
    }

    static let v4Case = zip(Gen<UInt32>.value(), Gen<Int>.int(in: 0...32), Gen<UInt32>.value())
    static let v6Case = zip(Gen<UInt128>.value(), Gen<Int>.int(in: 0...128), Gen<UInt128>.value())

    /// The properties for one block of `width` bits made from `value`/`prefix`; `other` is an
    /// arbitrary address of the same family, `near` one that shares the block's prefix.
    static func checkBlock(value: UInt128, prefix: Int, other: UInt128, v4: Bool) throws {
        let width = v4 ? 32 : 128
        let mask = Self.mask(prefix, width: width)
        let block = try #require(CIDRBlock(address: address(value, v4: v4), prefixLength: prefix))
        let network = block.network.bits
        // The network is the address with its host bits cleared: the first address of the block.
        #expect(network == address(value, v4: v4).bits & mask)
        #expect(block.contains(address(value, v4: v4)))
        #expect(block.contains(block.network))
        #expect(CIDRBlock(address: block.network, prefixLength: prefix) == block)
        // contains ⇔ masked equality, for an unrelated address and for one inside.
        let unrelated = address(other, v4: v4)
        #expect(block.contains(unrelated) == (unrelated.bits & mask == network))
        let inside = derived(network | (unrelated.bits & ~mask), v4: v4)
        #expect(block.contains(inside))
        // Size is 2^(host bits), saturating for ::/0.
        let hostBits = width - prefix
        #expect(block.size == (hostBits == 128 ? UInt128.max : 1 << UInt128(hostBits)))
        // The other family is never inside.
        #expect(!block.contains(address(value, v4: !v4)))
        // Text form: reads back as the same block, from the network or from any address inside.
        #expect(CIDRBlock(block.description) == block)
        #expect(CIDRBlock("\(inside)/\(prefix)") == block)
        #expect(block.description == "\(block.network)/\(prefix)")
    }

    @Test func ipv4Blocks() async {
        await propertyCheck(input: Self.v4Case) { value, prefix, other in
            try Self.checkBlock(value: UInt128(value), prefix: prefix, other: UInt128(other), v4: true)
        }
    }

    @Test func ipv6Blocks() async {
        await propertyCheck(input: Self.v6Case) { value, prefix, other in
            try Self.checkBlock(value: value, prefix: prefix, other: other, v4: false)
        }
    }

    /// Every address of a small block is in it, in order from the network, and its neighbours
    /// just outside are not.
    static func checkSmallBlock(value: UInt128, prefix: Int, v4: Bool) throws {
        let width = v4 ? 32 : 128
        let block = try #require(CIDRBlock(address: address(value, v4: v4), prefixLength: prefix))
        let addresses = block.addresses()
        #expect(UInt128(addresses.count) == block.size)
        #expect(addresses.first == block.network)
        #expect(addresses.allSatisfy(block.contains))
        #expect(zip(addresses, addresses.dropFirst()).allSatisfy { $0.bits + 1 == $1.bits })
        let top: UInt128 = width == 128 ? .max : (1 << 32) - 1
        if block.network.bits > 0 {
            #expect(!block.contains(derived(block.network.bits - 1, v4: v4)))
        }
        if let last = addresses.last, last.bits < top {
            #expect(!block.contains(derived(last.bits + 1, v4: v4)))
        }
    }

    @Test func everyAddressOfASmallIPv4Block() async {
        await propertyCheck(input: Gen<UInt32>.value(), Gen<Int>.int(in: 22...32)) { value, prefix in
            try Self.checkSmallBlock(value: UInt128(value), prefix: prefix, v4: true)
        }
    }

    @Test func everyAddressOfASmallIPv6Block() async {
        await propertyCheck(input: Gen<UInt128>.value(), Gen<Int>.int(in: 118...128)) { value, prefix in
            try Self.checkSmallBlock(value: value, prefix: prefix, v4: false)
        }
    }

    @Test func ipv4MappedBlocksAreIPv4Blocks() async {
        await propertyCheck(input: Gen<UInt32>.value(), Gen<Int>.int(in: 0...32)) { value, prefix in
            let v4 = IPAddress.v4(value)
            let block = try #require(CIDRBlock("\(v4)/\(prefix)"))
            #expect(CIDRBlock("::ffff:\(v4)/\(prefix + 96)") == block)
            #expect(CIDRBlock("::FFFF:\(v4)/\(prefix + 96)") == block)
            #expect(CIDRBlock("0:0:0:0:0:ffff:\(v4)/\(prefix + 96)") == block)
            #expect(IPAddress("::ffff:\(v4)") == v4)
        }
    }

    @Test func prefixesOutsideTheFamilyAreRefused() async {
        await propertyCheck(input: Gen<UInt32>.value(), Gen<Int>.int(in: 33...999)) { value, prefix in
            #expect(CIDRBlock("\(IPAddress.v4(value))/\(prefix)") == nil)
            #expect(CIDRBlock("\(IPAddress.v6(UInt128(value) << 64))/\(prefix + 96)") == nil)
            #expect(CIDRBlock(address: .v4(value), prefixLength: prefix) == nil)
            #expect(CIDRBlock(address: .v4(value), prefixLength: -prefix) == nil)
        }
    }
}
