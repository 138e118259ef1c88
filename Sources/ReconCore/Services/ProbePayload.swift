/// The payload of a `probe ... send PAYLOAD` line: `q|escaped text|`, `hex|0a 1b ...|`, or either
/// behind `frame` (a 4-byte big-endian length first) or `frame16` (a 2-byte one, as DNS over TCP).
/// In `q|...|`, `\N` stands for a token of four lowercase letters drawn for each connection (an
/// IRC nickname no earlier connection still holds).
public enum ProbePayload {
    /// Where a `\N` stood, until `personalized` puts a connection's token there.
    static let tokenMarker: [UInt8] = [0x00, 0xFF] + Array("nonce".utf8) + [0xFF]

    static func parse(_ scanner: inout RuleLineScanner) throws(RuleLineError) -> [UInt8] {
        if scanner.take("frame16") {
            let body = try plain(&scanner)
            guard body.count <= 0xFFFF else { throw RuleLineError("frame16 payload longer than 65535 bytes") }
            return [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        }
        if scanner.take("frame") {
            let body = try plain(&scanner)
            let length = UInt32(body.count)
            return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) } + body
        }
        return try plain(&scanner)
    }

    private static func plain(_ scanner: inout RuleLineScanner) throws(RuleLineError) -> [UInt8] {
        if scanner.take("hex") {
            return try withoutMarker(hex(scanner.delimited("hex payload")))
        }
        if scanner.take("q") {
            let text = try scanner.delimited("q payload", escapes: true)
            let (literal, bytes): ([UInt8], [UInt8])
            do {
                (literal, bytes) = (
                    try PrintableBytes.unescape(text, token: []), try PrintableBytes.unescape(text, token: tokenMarker)
                )
            } catch {
                throw RuleLineError("bad escape in q payload: \(error.description)")
            }
            _ = try withoutMarker(literal)
            return bytes
        }
        throw RuleLineError("expected a payload: q|text|, hex|bytes|, frame q|...| or frame hex|...|")
    }

    /// `bytes`, unless they hold the marker that `\N` leaves (which only `\N` may put there).
    private static func withoutMarker(_ bytes: [UInt8]) throws(RuleLineError) -> [UInt8] {
        guard bytes.firstRange(of: tokenMarker) == nil else {
            throw RuleLineError("payload holds the bytes that stand for '\\N' (00 ff 6e 6f 6e 63 65 ff)")
        }
        return bytes
    }

    /// `payload` with a fresh token of four lowercase letters wherever its rule said `\N`; the
    /// same token in every place, so that turns of one connection agree.
    public static func personalized(_ payload: [UInt8], token: [UInt8]) -> [UInt8] {
        guard payload.firstRange(of: tokenMarker) != nil else { return payload }
        var bytes = payload
        while let range = bytes.firstRange(of: tokenMarker) { bytes.replaceSubrange(range, with: token) }
        return bytes
    }

    /// Four lowercase letters, drawn for one connection.
    public static func connectionToken() -> [UInt8] {
        (0..<4).map { _ in UInt8.random(in: UInt8(ascii: "a")...UInt8(ascii: "z")) }
    }

    /// Hex digit pairs, spaces allowed between pairs.
    static func hex(_ text: String) throws(RuleLineError) -> [UInt8] {
        var bytes: [UInt8] = []
        var digits = text.unicodeScalars.filter { $0 != " " && $0 != "\t" }.makeIterator()
        while let high = digits.next() {
            guard let low = digits.next() else { throw RuleLineError("bad hex payload: odd number of digits") }
            guard let highValue = PrintableBytes.hexValue(high), let lowValue = PrintableBytes.hexValue(low) else {
                throw RuleLineError("bad hex payload: '\(high)\(low)' is not a hex byte")
            }
            bytes.append(highValue << 4 | lowValue)
        }
        return bytes
    }
}
