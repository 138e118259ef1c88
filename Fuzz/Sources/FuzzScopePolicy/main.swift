// Fuzzes the scope policy file parser and decisions on the parsed policy. Checks: errors name a
// line of the file and stay on one line; every rule's block re-rendered parses to the same block;
// and for addresses at and around every rule's edges, the decision is "allowed iff some allow rule
// covers it and no deny rule does", made by a rule that covers it.
import FuzzSupport

@testable import ReconCore

let path = "fuzz.policy"
let embedded = ScopePolicy.embeddedDefault(interfaceAddresses: [
    InterfaceAddress(name: "eth0", address: .v4(0xC000_020A))
])
let fixedProbes: [IPAddress] = [
    .v4(0), .v4(0x7F00_0001), .v4(0x7F00_0035), .v4(0xC000_020A), .v4(.max), .v6(0), .v6(1), .v6(.max),
]

/// The edges of a block and their neighbours, within the family.
func probes(around block: CIDRBlock) -> [IPAddress] {
    let last = block.network.bits | (block.size == .max ? .max : block.size - 1)
    let values = [block.network.bits, last, block.network.bits &- 1, last &+ 1, block.network.bits / 2 + last / 2]
    return values.map { value in
        block.network.isIPv4 ? .v4(UInt32(truncatingIfNeeded: value)) : .v6(value)
    }
}

func checkDecision(_ policy: ScopePolicy, _ address: IPAddress) {
    let decision = policy.decide(address)
    let denied = policy.rules.contains { $0.action == .deny && $0.block.contains(address) }
    let admitted = policy.rules.contains { $0.action == .allow && $0.block.contains(address) }
    invariant(decision.allowed == (admitted && !denied), "\(address): decided \(decision.explanation)")
    if let rule = decision.rule {
        invariant(rule.block.contains(address), "\(address) decided by \(rule), which does not cover it")
        invariant(policy.rules.contains(rule), "\(address) decided by a rule not in the policy")
    }
}

fuzz { bytes in
    let text = bytes.text
    let file: PolicyFile
    do throws(PolicyFileError) {
        file = try PolicyFile(path: path, text: text)
    } catch {
        checkLineError(line: error.line, description: error.description, in: text, prefix: "policy \(path)")
        return
    }
    for rule in file.rules {
        invariant(CIDRBlock(rule.block.description) == rule.block, "'\(rule.block)' does not parse back")
        invariant(rule.origin.hasPrefix("\(path):"), "odd origin \(rule.origin)")
        let first = rule.block.network
        invariant(CIDRBlock(address: first, prefixLength: rule.block.prefixLength) == rule.block, "network not first")
    }
    let policy = embedded.adding(file)
    invariant(policy.rules.count == embedded.rules.count + file.rules.count, "rules lost")
    var addresses = fixedProbes
    for rule in file.rules.prefix(64) { addresses += probes(around: rule.block) }
    for address in addresses { checkDecision(policy, address) }

    let target = ResolvedTarget(spec: "fuzz", hostname: nil, addresses: addresses)
    do throws(ScopeRefusal) {
        let authorized = try policy.authorize([target])
        invariant(addresses.allSatisfy { policy.decide($0).allowed }, "authorized a refused address")
        invariant(authorized.allSatisfy { $0.rule.action == .allow }, "authorized by a deny rule")
    } catch {
        invariant(addresses.first { !policy.decide($0).allowed } == error.address, "refused the wrong address")
    }
}
