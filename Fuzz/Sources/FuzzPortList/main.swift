// Fuzzes PortList(parsing:): the first line of the input is a port list, the second (if any) a
// list to exclude from it. Checks that a parsed list is sorted, unique and in 1-65535, that its
// text form parses back to itself, and the union and exclusion laws.
import FuzzSupport
import ReconCore

/// The list as a membership table indexed by port.
func members(_ list: PortList) -> [Bool] {
    var table = [Bool](repeating: false, count: 65536)
    for port in list.ports { table[Int(port)] = true }
    return table
}

/// Parses `text`, checking the error's shape when it is refused.
func parse(_ text: some StringProtocol) -> PortList? {
    do throws(PortSpecError) {
        let list = try PortList(parsing: String(text))
        check(list)
        return list
    } catch {
        invariant(!error.description.isEmpty, "empty error for '\(text)'")
        return nil
    }
}

func check(_ list: PortList) {
    invariant(!list.ports.isEmpty, "a parsed list is never empty")
    invariant(list.ports.first! >= 1, "port 0 in \(list.ports.prefix(3))")
    invariant(zip(list.ports, list.ports.dropFirst()).allSatisfy { $0 < $1 }, "not sorted and unique")
    let text = list.description
    invariant(text.utf8.allSatisfy { (0x30...0x39).contains($0) || $0 == 0x2C || $0 == 0x2D }, "odd text '\(text)'")
    invariant((try? PortList(parsing: text)) == list, "'\(text)' does not parse back to the same list")
}

fuzz { bytes in
    let lines = bytes.text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    guard let list = parse(lines[0]) else { return }
    guard lines.count == 2, let other = parse(lines[1]) else { return }

    let inList = members(list)
    let inOther = members(other)
    let rest = list.excluding(other)
    invariant(zip(rest.ports, rest.ports.dropFirst()).allSatisfy { $0 < $1 }, "exclusion not sorted")
    invariant(rest.ports == list.ports.filter { !inOther[Int($0)] }, "exclusion is not the difference")
    invariant(list.excluding(list).ports.isEmpty, "a list minus itself is not empty")
    invariant(rest.excluding(other) == rest, "excluding twice differs from once")

    let union = parse(list.description + "," + other.description)
    let expected = (1...65535).filter { inList[$0] || inOther[$0] }.map(UInt16.init)
    invariant(union?.ports == expected, "'A,B' is not the union of A and B")
}
