#if canImport(Glibc)
    import Glibc
#endif

/// Byte-level helpers shared by the nmap XML decoder's early checks and its reader.
enum XMLBytes {
    /// XML's white space: space, tab, line feed, carriage return.
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// The offset of `needle` in `bytes` at or after `from` (memchr to each candidate first byte,
    /// memcmp for the rest: whole files are searched).
    static func firstOffset(of needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard let first = needle.first else { return nil }
        return bytes.withUnsafeBytes { haystack -> Int? in
            needle.withUnsafeBytes { pattern -> Int? in
                guard let base = haystack.baseAddress, let start = pattern.baseAddress else { return nil }
                var offset = from
                while offset + pattern.count <= haystack.count {
                    guard let hit = memchr(base + offset, Int32(first), haystack.count - pattern.count + 1 - offset)
                    else { return nil }
                    let position = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(hit, start, pattern.count) == 0 { return position }
                    offset = position + 1
                }
                return nil
            }
        }
    }
}
