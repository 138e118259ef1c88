import Testing

@testable import ReconCore

@Suite("Printable bytes")
struct ServiceBytesTests {
    @Test(
        "rendering",
        arguments: [
            ([0x41, 0x20, 0x7E], "A ~"),
            ([0x0D, 0x0A, 0x09, 0x5C], #"\r\n\t\\"#),
            ([0x00, 0x7F, 0x80, 0xFF, 0x1B], #"\x00\x7f\x80\xff\x1b"#),
            ([0xC3, 0xA9], #"\xc3\xa9"#),
            ([], ""),
        ] as [([UInt8], String)])
    func render(bytes: [UInt8], text: String) throws {
        #expect(PrintableBytes.render(bytes) == text)
        #expect(try PrintableBytes.unescape(text) == bytes)
    }

    @Test func everyByteRoundTrips() throws {
        let all = (0...255).map(UInt8.init)
        let text = PrintableBytes.render(all)
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F })
        #expect(try PrintableBytes.unescape(text) == all)
        var state: UInt32 = 12345
        for length in [1, 7, 64, 1000] {
            let random = (0..<length).map { _ -> UInt8 in
                state = state &* 1_103_515_245 &+ 12345
                return UInt8(truncatingIfNeeded: state >> 16)
            }
            #expect(try PrintableBytes.unescape(PrintableBytes.render(random)) == random)
        }
    }

    @Test(
        "unescaping q|...| text",
        arguments: [
            (#"\0\|\/"#, [0x00, 0x7C, 0x2F]),
            (#"\xAb\xcD"#, [0xAB, 0xCD]),
            ("é", [0xC3, 0xA9]),
        ] as [(String, [UInt8])])
    func unescape(text: String, bytes: [UInt8]) throws {
        #expect(try PrintableBytes.unescape(text) == bytes)
    }

    @Test("bad escapes", arguments: [#"\q"#, #"\x4"#, #"\x+f"#, #"\xZZ"#, "abc\\", #"\5"#])
    func badEscape(text: String) {
        #expect(throws: PrintableBytes.EscapeError.self) { try PrintableBytes.unescape(text) }
    }

    @Test func latin1OneCharacterPerByte() {
        let all = (0...255).map(UInt8.init)
        let text = Latin1.string(all)
        #expect(text.unicodeScalars.map(\.value) == all.map(UInt32.init))
    }

    @Test(
        "text for people",
        arguments: [
            (Array("Café".utf8), "Café"),
            ([0x43, 0x61, 0x66, 0xE9], "Café"),
            ([0x61, 0x00, 0x62, 0x0A], #"a\x00b\x0a"#),
        ] as [([UInt8], String)])
    func displayText(bytes: [UInt8], text: String) {
        #expect(DisplayText.from(bytes) == text)
    }
}
