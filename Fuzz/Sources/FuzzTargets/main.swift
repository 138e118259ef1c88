// Fuzzes target parsing: the input is a target list file (`-iL`), read by TargetResolver.readList
// from an in-memory file, then resolved with a lookup that never touches the network, and
// authorized by the embedded default policy. Each line is also resolved as one target as it is.
// Checks: literals render and parse back to themselves, a block re-rendered parses to the same
// block and stands for exactly its addresses, names resolve to unique addresses, and whatever the
// policy admits it allows.
import FuzzSupport

@testable import ReconCore

/// A made-up resolver: 0-3 addresses derived from the name (some repeated), or a failure.
let lookup: TargetResolver.Lookup = { (name: String) throws(TargetError) -> [IPAddress] in
    let hash = name.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
    switch hash % 5 {
    case 0: throw TargetError(description: "cannot resolve '\(name)'", unresolved: true)
    case 1: return []
    case 2: return [.v4(0x7F00_0000 | hash & 0xFFFF), .v6(1), .v4(0x7F00_0000 | hash & 0xFFFF)]
    case 3: return [.v4(hash)]
    default: return [.v6(UInt128(hash) << 64 | 1), .v4(0x7F00_0001)]
    }
}
let resolver = TargetResolver(lookup: lookup)
let policy = ScopePolicy.embeddedDefault(interfaceAddresses: [
    InterfaceAddress(name: "eth0", address: .v4(0xC000_020A)),
    InterfaceAddress(name: "eth0", address: .v6(0x2001_0DB8 << 96 | 10)),
])

/// The list file readList reads.
let listFile = MemoryFile()

func check(_ target: ResolvedTarget) {
    let spec = target.spec
    invariant(!target.addresses.isEmpty, "'\(spec)' resolved to no address")
    invariant(Set(target.addresses).count == target.addresses.count, "'\(spec)' has repeated addresses")
    invariant(target.addresses.count <= TargetResolver.maximumAddresses, "'\(spec)' is too large")
    if let literal = IPAddress(spec) {
        invariant(target.addresses == [literal] && target.hostname == nil, "literal '\(spec)' resolved oddly")
        invariant(IPAddress(literal.description) == literal, "'\(literal)' does not parse back")
    } else if let block = CIDRBlock(spec) {
        invariant(target.hostname == nil, "block '\(spec)' has a host name")
        invariant(CIDRBlock(block.description) == block, "'\(block)' (from '\(spec)') does not parse back")
        invariant(UInt128(target.addresses.count) == block.size, "'\(spec)' has \(target.addresses.count) addresses")
        invariant(target.addresses.first == block.network, "'\(spec)' does not start at its network")
        invariant(target.addresses.allSatisfy(block.contains), "'\(spec)' has an address outside the block")
        invariant(zip(target.addresses, target.addresses.dropFirst()).allSatisfy { $0 < $1 }, "'\(spec)' unsorted")
    } else {
        invariant(target.hostname == spec && TargetResolver.isHostName(spec), "'\(spec)' is not a host name")
    }
}

func resolve(_ spec: String) {
    // A block of more than 4096 addresses is only parsed and rendered back here (expanding it
    // address by address is the whole list's business, below): a line of /16s would otherwise
    // spend seconds per input under the sanitizer, and a loaded machine turns that into timeouts.
    if let block = CIDRBlock(spec), block.size > 4096 {
        invariant(CIDRBlock(block.description) == block, "'\(block)' (from '\(spec)') does not parse back")
        return
    }
    do throws(TargetError) {
        check(try resolver.resolve(spec))
    } catch {
        invariant(!error.description.isEmpty, "empty error for '\(spec)'")
    }
}

fuzz { bytes in
    listFile.write(bytes)
    let specs: [String]
    do throws(TargetError) {
        specs = try TargetResolver.readList(path: listFile.path)
    } catch {
        invariant(false, "an in-memory list could not be read: \(error)")
        return
    }
    invariant(specs.allSatisfy { !$0.isEmpty && !$0.contains(" ") && !$0.contains("#") }, "odd words \(specs)")

    for line in bytes.text.split(separator: "\n").prefix(16) { resolve(String(line)) }
    for spec in specs.prefix(16) { resolve(spec) }

    let targets: [ResolvedTarget]
    do throws(TargetError) {
        targets = try resolver.resolve(Array(specs.prefix(64)))
    } catch {
        return
    }
    invariant(targets.map(\.addresses.count).reduce(0, +) <= TargetResolver.maximumAddresses, "too many addresses")
    do throws(ScopeRefusal) {
        let authorized = try policy.authorize(targets)
        invariant(authorized.allSatisfy { policy.decide($0.address).allowed }, "authorized an address not allowed")
        invariant(Set(authorized.map(\.address)).count == authorized.count, "an address authorized twice")
    } catch {
        invariant(!policy.decide(error.address).allowed, "refused \(error.address), which the policy allows")
    }
}
