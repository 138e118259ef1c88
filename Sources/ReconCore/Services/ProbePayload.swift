/// The payload of a `probe ... send PAYLOAD` line: `q|escaped text|`, `hex|0a 1b ...|`, or either
/// behind `frame` (a 4-byte big-endian length first) or `frame16` (a 2-byte one, as DNS over TCP).
enum ProbePayload {
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
            return try hex(scanner.delimited("hex payload"))
        }
        if scanner.take("q") {
            let text = try scanner.delimited("q payload", escapes: true)
            do {
                return try PrintableBytes.unescape(text)
            } catch {
                throw RuleLineError("bad escape in q payload: \(error.description)")
            }
        }
        throw RuleLineError("expected a payload: q|text|, hex|bytes|, frame q|...| or frame hex|...|")
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
