/// Reads the negotiated version and cipher suite from the raw bytes of a TLS ServerHello
/// (plaintext in every TLS version), so the report can name them without trusting the peer.
enum TLSServerHello {
    /// The version and cipher names, or nil if `bytes` does not start with a ServerHello record.
    static func parse(_ bytes: [UInt8]) -> (version: String, cipher: String)? {
        // Record: type 22 (handshake), version (2), length (2); handshake: type 2, length (3).
        guard bytes.count >= 44, bytes[0] == 22, bytes[5] == 2 else { return nil }
        var index = 9
        var version = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        index += 2 + 32
        let sessionLength = Int(bytes[index])
        index += 1 + sessionLength
        guard index + 3 <= bytes.count else { return nil }
        let cipher = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        index += 3
        // Extensions: TLS 1.3 puts the real version in supported_versions (43).
        if index + 2 <= bytes.count {
            let end = min(bytes.count, index + 2 + (Int(bytes[index]) << 8 | Int(bytes[index + 1])))
            index += 2
            while index + 4 <= end {
                let type = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
                if type == 43, length == 2, index + 6 <= end {
                    version = UInt16(bytes[index + 4]) << 8 | UInt16(bytes[index + 5])
                }
                index += 4 + length
            }
        }
        return (versionName(version), cipherName(cipher))
    }

    static func versionName(_ version: UInt16) -> String {
        switch version {
        case 0x0300: return "SSLv3"
        case 0x0301: return "TLSv1.0"
        case 0x0302: return "TLSv1.1"
        case 0x0303: return "TLSv1.2"
        case 0x0304: return "TLSv1.3"
        default: return hex(version)
        }
    }

    static func cipherName(_ suite: UInt16) -> String {
        let names: [UInt16: String] = [
            0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
            0x1303: "TLS_CHACHA20_POLY1305_SHA256",
            0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
            0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA", 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
        ]
        return names[suite] ?? hex(suite)
    }

    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
