import PropertyBased
import Testing

@testable import ReconCore

/// Scope decisions against a model: an address is allowed iff some allow rule covers it and no
/// deny rule does, whichever way the policy file and the address are spelled (IPv4 dotted; IPv6
/// full, compressed or upper-case; IPv4-mapped `::ffff:a.b.c.d`; with or without a prefix).
///
/// Allow rules stay narrow (IPv4 /24 and longer, IPv6 /116 and longer): wider allow rules are
/// meant to need an explicit `allow-wide`, which these tests do not exercise.
@Suite("Scope decision properties")
struct ScopePropertyTests {
    /// A rule or address as the model sees it: family, value, prefix length.
    struct Block {
        var v4: Bool
        var value: UInt128
        var prefix: Int

        var width: Int { v4 ? 32 : 128 }
        var mask: UInt128 {
            let all: UInt128 = v4 ? (1 << 32) - 1 : .max
            return prefix == 0 ? 0 : all & ~(all >> UInt128(prefix))
        }
        var first: UInt128 { value & mask }
        var last: UInt128 { first | (v4 ? (1 << 32) - 1 : .max) & ~mask }

        func covers(_ v4: Bool, _ address: UInt128) -> Bool {
            v4 == self.v4 && address & mask == first
        }
    }

    /// Small pools of networks, so rules and addresses overlap often.
    static let v4Networks: [UInt128] = [0x0A00_0000, 0xC0A8_0000, 0x7F00_0000]
    static let v6Networks: [UInt128] = [0x2001_0DB8 << 96, 0xFE80 << 112, (0x2001_0DB8 << 96) | (1 << 80)]

    static func value(v4: Bool, pool: Int, low: UInt32) -> UInt128 {
        v4 ? v4Networks[pool] | UInt128(low & 0xFFFF) : v6Networks[pool] | UInt128(low & 0xFF_FFFF)
    }

    /// The address as text, in one of several spellings the parser accepts.
    static func spell(v4: Bool, _ value: UInt128, _ style: Int) -> String {
        if v4 {
            let dotted = (0..<4).map { String((value >> UInt128(24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
            return ["\(dotted)", "::ffff:\(dotted)", "::FFFF:\(dotted)", "0:0:0:0:0:ffff:\(dotted)"][style % 4]
        }
        let groups = (0..<8).map { Int((value >> UInt128(112 - 16 * $0)) & 0xFFFF) }
        let full = groups.map { hex($0, width: 4) }.joined(separator: ":")
        let compressed = compress(groups)
        return [full, compressed, full.uppercased(), compressed.uppercased()][style % 4]
    }

    static func hex(_ value: Int, width: Int = 1) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// RFC 5952 style: the first longest run of two or more zero groups becomes `::`.
    static func compress(_ groups: [Int]) -> String {
        var best = (start: 0, length: 0)
        var index = 0
        while index < 8 {
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > best.length { best = (index, end - index) }
            index = max(end, index + 1)
        }
        let text = { (part: ArraySlice<Int>) in part.map { hex($0) }.joined(separator: ":") }
        guard best.length >= 2 else { return text(groups[...]) }
        return text(groups[..<best.start]) + "::" + text(groups[(best.start + best.length)...])
    }

    /// A block as a policy file would name it: the address (host bits and all), then `/PREFIX`,
    /// which may be left out for a single address. IPv4-mapped spellings add 96 to the prefix.
    static func spell(_ block: Block, style: Int) -> String {
        let text = spell(v4: block.v4, block.value, style)
        let mapped = block.v4 && text.contains(":")
        if block.prefix == block.width && style >= 4 { return text }
        return "\(text)/\(block.prefix + (mapped ? 96 : 0))"
    }

    /// A rule: allow or deny, family, network pool, low bits, prefix choice, spelling.
    static let rule = zip(
        Gen.bool, Gen.bool, Gen<Int>.int(in: 0...2), Gen<UInt32>.value(), Gen<Int>.int(in: 0...40),
        Gen<Int>.int(in: 0...7))
    /// An address to decide: family, pool, low bits, spelling.
    static let probe = zip(Gen.bool, Gen<Int>.int(in: 0...2), Gen<UInt32>.value(), Gen<Int>.int(in: 0...3))

    typealias RuleInput = (Bool, Bool, Int, UInt32, Int, Int)

    static func block(_ input: RuleInput) -> (allow: Bool, block: Block, style: Int) {
        let (allow, v4, pool, low, prefixChoice, style) = input
        let range = allow ? (v4 ? 24...32 : 116...128) : (v4 ? 8...32 : 96...128)
        let prefix = range.lowerBound + prefixChoice % range.count
        return (allow, Block(v4: v4, value: value(v4: v4, pool: pool, low: low), prefix: prefix), style)
    }

    /// The policy text: each rule on its own line, in mixed case and spacing, among comments.
    static func policyText(_ rules: [(allow: Bool, block: Block, style: Int)]) -> String {
        var lines = ["# generated policy", ""]
        for (index, rule) in rules.enumerated() {
            let action = rule.allow ? ["allow", "ALLOW", "Allow"][index % 3] : ["deny", "DENY", "Deny"][index % 3]
            let line = "\(action)\(index % 2 == 0 ? " " : "\t ")\(spell(rule.block, style: rule.style))"
            lines.append(index % 3 == 0 ? "  \(line)   # rule \(index)" : line)
        }
        let lineEnd = rules.count % 2 == 1 ? "\r\n" : "\n"
        return lines.joined(separator: lineEnd) + lineEnd
    }

    @Test func allowedIffSomeAllowCoversAndNoDenyDoes() async {
        await propertyCheck(input: Self.rule.array(of: 1...8), Self.probe.array(of: 1...6)) { ruleInputs, probes in
            let rules = ruleInputs.map(Self.block)
            let file = try PolicyFile(path: "generated.policy", text: Self.policyText(rules))
            #expect(file.rules.count == rules.count)
            let policy = ScopePolicy.embeddedDefault(interfaceAddresses: []).adding(file)
            let model =
                [
                    (true, Block(v4: true, value: 0x7F00_0000, prefix: 8)),
                    (true, Block(v4: false, value: 1, prefix: 128)),
                ] + rules.map { ($0.allow, $0.block) }

            // Addresses at and around every rule's edges, and the generated ones.
            var addresses: [(v4: Bool, value: UInt128, style: Int)] = []
            for (index, rule) in rules.enumerated() {
                let block = rule.block
                let top: UInt128 = block.v4 ? (1 << 32) - 1 : .max
                for value in [block.first, block.last, block.first &- 1, block.last &+ 1] {
                    addresses.append((block.v4, value & top, index))
                }
            }
            addresses += probes.map { ($0.0, Self.value(v4: $0.0, pool: $0.1, low: $0.2), $0.3) }

            for (v4, value, style) in addresses {
                let allowed =
                    model.contains { $0.0 && $0.1.covers(v4, value) }
                    && !model.contains { !$0.0 && $0.1.covers(v4, value) }
                for spelling in Set([0, 1, 2, 3, style].map { Self.spell(v4: v4, value, $0) }) {
                    let address = try #require(IPAddress(spelling), "\(spelling) does not parse")
                    #expect(address.isIPv4 == v4 && address.bits == value, "\(spelling) parsed as \(address)")
                    let decision = policy.decide(address)
                    #expect(decision.allowed == allowed, "\(spelling): \(decision.explanation)")
                    if let rule = decision.rule {
                        #expect(rule.block.contains(address))
                    } else {
                        #expect(!model.contains { $0.1.covers(v4, value) })
                    }
                    // The same through the target parser and authorize, as a scan sees it.
                    let target = try TargetResolver(lookup: { _ throws(TargetError) in [] }).resolve(spelling)
                    #expect(target.addresses == [address])
                    #expect(((try? policy.authorize([target])) != nil) == allowed)
                }
            }
        }
    }

    @Test func blockSpellingsNameTheSameBlock() async {
        await propertyCheck(input: Self.rule) { input in
            let (_, block, _) = Self.block(input)
            let parsed = Set((0..<8).compactMap { CIDRBlock(Self.spell(block, style: $0)) })
            #expect(parsed.count == 1, "\(parsed)")
            let only = try #require(parsed.first)
            #expect(only.network.bits == block.first && only.prefixLength == block.prefix)
            #expect(only.network.isIPv4 == block.v4)
        }
    }
}
