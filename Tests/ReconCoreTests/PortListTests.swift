import Testing

@testable import ReconCore

@Suite("Port lists")
struct PortListTests {
    @Test(
        "valid specifications",
        arguments: [
            ("1-1024", 1024, "1-1024"),
            ("22,80,8000-8100", 103, "22,80,8000-8100"),
            ("-", 65535, "1-65535"),
            ("all", 65535, "1-65535"),
            ("80,22,80", 2, "22,80"),
            ("-100", 100, "1-100"),
            ("65530-", 6, "65530-65535"),
            (" 443 ", 1, "443"),
            ("1,2,3,5", 4, "1-3,5"),
            ("65535", 1, "65535"),
        ])
    func valid(spec: String, count: Int, canonical: String) throws {
        let list = try PortList(parsing: spec)
        #expect(list.ports.count == count)
        #expect(list.description == canonical)
        #expect(list.ports == list.ports.sorted())
    }

    @Test(
        "invalid specifications name the problem",
        arguments: [
            ("0", "out of range"),
            ("65536", "out of range"),
            ("1-65536", "out of range"),
            ("100-1", "reversed"),
            ("22,,80", "empty item"),
            ("22,", "empty item"),
            ("", "empty port list"),
            ("http", "invalid port 'http'"),
            ("1-2-3", "invalid port range"),
            ("-1-5", "invalid port range"),
            ("22x", "invalid port '22x'"),
            ("99999999999999", "invalid port"),
        ])
    func invalid(spec: String, message: String) {
        #expect {
            try PortList(parsing: spec)
        } throws: { error in
            let text = (error as? PortSpecError)?.description ?? ""
            return text.contains(message) && !text.contains("\n")
        }
    }

    @Test func exclusion() throws {
        let list = try PortList(parsing: "1-10").excluding(try PortList(parsing: "2,5-9"))
        #expect(list.ports == [1, 3, 4, 10])
    }
}
