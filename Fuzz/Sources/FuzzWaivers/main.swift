// Fuzzes the waivers format (Waivers(path:text:)) and applying waivers. Checks: errors name a
// line of the file and stay on one line; each waiver is well formed; a finding made to fit each
// waiver is waived by some waiver, and every waiver selects at least the one made for it.
import FuzzSupport

@testable import ReconCore

let path = "fuzz.waivers"

/// A finding that `waiver` selects.
func finding(for waiver: Waivers.Waiver) -> AuditFinding {
    let host = waiver.host?.description ?? "127.0.0.1"
    let port = waiver.port ?? 22
    let rule = waiver.rule ?? "some-rule"
    let evidence = AuditEvidence(
        location: "banner", exchange: "banner", request: nil, text: "x", base64: "eA==", offset: 0, length: 1,
        context: "x")
    return AuditFinding(
        rule: rule, severity: .low, title: "t", message: "m", host: host, hostname: nil, port: port, service: nil,
        evidence: evidence, remediation: "r", hideable: true,
        fingerprint: waiver.fingerprint
            ?? AuditFinding.fingerprint(rule: rule, host: host, port: port, place: "banner"),
        waiver: nil)
}

/// `YYYY-MM-DD` in digits, as the format documents.
func isPlainDate(_ text: String) -> Bool {
    text.utf8.count == 10
        && text.utf8.enumerated().allSatisfy { index, byte in
            index == 4 || index == 7 ? byte == UInt8(ascii: "-") : (0x30...0x39).contains(byte)
        }
}

fuzz { bytes in
    let text = bytes.text
    let waivers: Waivers
    do throws(WaiverFileError) {
        waivers = try Waivers(path: path, text: text)
    } catch {
        checkLineError(line: error.line, description: error.description, in: text, prefix: "waivers \(path)")
        return
    }
    for waiver in waivers.waivers {
        invariant((waiver.fingerprint == nil) != (waiver.rule == nil), "\(waiver.origin): fingerprint xor rule")
        invariant(!waiver.reason.isEmpty, "\(waiver.origin): no reason")
        invariant(waiver.port.map { (1...65535).contains($0) } ?? true, "\(waiver.origin): port out of range")
        invariant(waiver.expires.map(Waivers.isDate) ?? true, "\(waiver.origin): bad date")
        invariant(waiver.expires.map(isPlainDate) ?? true, "\(waiver.origin): '\(waiver.expires!)' is no YYYY-MM-DD")
        if let fingerprint = waiver.fingerprint {
            invariant(fingerprint.utf8.count == 16 && waiver.port == nil && waiver.host == nil, "\(waiver.origin)")
        }
    }
    let checked = waivers.waivers.indices.prefix(64)
    let (waived, statuses) = waivers.apply(to: checked.map { finding(for: waivers.waivers[$0]) }, today: "0000-01-01")
    invariant(statuses.count == waivers.waivers.count, "a status per waiver")
    invariant(waived.allSatisfy { $0.waiver != nil }, "a finding made to fit a waiver was not waived")
    invariant(checked.allSatisfy { statuses[$0].matched >= 1 && !statuses[$0].expired }, "a waiver missed its finding")
    let (_, later) = waivers.apply(to: [], today: "9999-12-31")
    invariant(zip(later, waivers.waivers).allSatisfy { $0.expired == ($1.expires != nil) }, "expiry")
}
