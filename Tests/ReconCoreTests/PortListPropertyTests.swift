import PropertyBased
import Testing

@testable import ReconCore

/// Port lists as sets: whatever ranges are written, in whatever order and overlap, the list is
/// their union, sorted and unique, and its text form reads back as the same list. (A parse walks
/// all 65535 ports, about 15 ms in a debug build, so these run 25-50 cases each, not 100.)
@Suite("Port list properties")
struct PortListPropertyTests {
    /// Ranges as (first port, length - 1): short ones mostly, so lists have gaps and overlaps.
    static let ranges = zip(Gen<UInt16>.value(in: 1...65535), Gen<Int>.int(in: 0...40)).array(of: 1...12)

    /// The ports of `ranges`, sorted and unique (the model the parser is checked against).
    static func model(_ ranges: [(UInt16, Int)]) -> [UInt16] {
        var ports = Set<UInt16>()
        for (first, extra) in ranges {
            ports.formUnion(first...UInt16(min(65535, Int(first) + extra)))
        }
        return ports.sorted()
    }

    /// One way to write the ranges: `a-b` or `a` items, in the given order, with optional spaces.
    static func text(_ ranges: [(UInt16, Int)], spaced: Bool) -> String {
        ranges.map { first, extra in
            let last = min(65535, Int(first) + extra)
            let item = last == Int(first) ? "\(first)" : "\(first)-\(last)"
            return spaced ? " \(item)\t" : item
        }.joined(separator: ",")
    }

    @Test func listIsTheUnionOfItsRanges() async {
        await propertyCheck(count: 40, input: Self.ranges, Gen.bool) { ranges, spaced in
            let list = try PortList(parsing: Self.text(ranges, spaced: spaced))
            #expect(list.ports == Self.model(ranges))
            // The order of the items does not matter.
            #expect(try PortList(parsing: Self.text(ranges.reversed(), spaced: !spaced)) == list)
        }
    }

    @Test func textFormReadsBackAndIsCanonical() async {
        await propertyCheck(count: 40, input: Self.ranges) { ranges in
            let list = try PortList(parsing: Self.text(ranges, spaced: false))
            let text = list.description
            #expect(try PortList(parsing: text) == list)
            // Canonical: maximal runs, ascending, so equal lists have equal text.
            let items = text.split(separator: ",").map { $0.split(separator: "-").map { Int($0)! } }
            let bounds = items.map { ($0[0], $0.last!) }
            #expect(bounds.allSatisfy { $0.0 <= $0.1 })
            #expect(zip(bounds, bounds.dropFirst()).allSatisfy { $0.1 + 1 < $1.0 })
            #expect(bounds.map { $0.1 - $0.0 + 1 }.reduce(0, +) == list.ports.count)
        }
    }

    @Test func unionAndExclusionLaws() async {
        await propertyCheck(count: 30, input: Self.ranges, Self.ranges, Self.ranges) { a, b, c in
            let listA = try PortList(parsing: Self.text(a, spaced: false))
            let listB = try PortList(parsing: Self.text(b, spaced: false))
            let listC = try PortList(parsing: Self.text(c, spaced: false))
            let setA = Set(listA.ports)
            let setB = Set(listB.ports)

            // "A,B" is A ∪ B, and union commutes.
            let union = try PortList(parsing: "\(listA),\(listB)")
            #expect(union.ports == setA.union(setB).sorted())
            #expect(try PortList(parsing: "\(listB),\(listA)") == union)

            // A - B is the set difference; it keeps order and drops only B's ports.
            let difference = listA.excluding(listB)
            #expect(difference.ports == setA.subtracting(setB).sorted())
            #expect(listA.excluding(listA).ports.isEmpty)
            #expect(difference.excluding(listB) == difference)
            // (A - B) ∪ (A ∩ B) = A; excluding two lists in either order, or their union, agrees.
            #expect(Set(difference.ports).union(setA.intersection(setB)) == setA)
            #expect(difference.excluding(listC) == listA.excluding(listC).excluding(listB))
            #expect(difference.excluding(listC) == listA.excluding(try PortList(parsing: "\(listB),\(listC)")))
        }
    }

    @Test func rangesAndOpenEnds() async {
        await propertyCheck(count: 25, input: Gen<UInt16>.value(in: 1...65535), Gen<UInt16>.value(in: 1...65535)) {
            x, y in
            let (low, high) = (min(x, y), max(x, y))
            let range = try PortList(parsing: "\(low)-\(high)")
            #expect(range.ports == Array(low...high))
            #expect(range.description == (low == high ? "\(low)" : "\(low)-\(high)"))
            #expect(try PortList(parsing: "-\(high)").ports == Array(1...high))
            #expect(try PortList(parsing: "\(low)-").ports == Array(low...65535))
            #expect(try PortList(parsing: "-\(low),\(low)-") == PortList.all)
            if low < high {
                #expect(throws: PortSpecError.self) { try PortList(parsing: "\(high)-\(low)") }
            }
        }
    }

    @Test func outOfRangePortsAreRefused() async {
        await propertyCheck(count: 50, input: Gen<Int>.int(in: 65536...999_999_999)) { port in
            #expect(throws: PortSpecError.self) { try PortList(parsing: "\(port)") }
            #expect(throws: PortSpecError.self) { try PortList(parsing: "1-\(port)") }
        }
    }
}
