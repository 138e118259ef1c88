// Fuzzes the TLS ServerHello reader (ReconProbes' TLSServerHello.swift, compiled alone): any
// bytes a peer sends. It must return nil or two names, never trap.
import FuzzSupport

@testable import ReconProbesTLS

/// A name the reader makes: a known one, or `0x` and four upper-case hex digits.
func isName(_ text: String) -> Bool {
    guard text.hasPrefix("0x") else { return !text.isEmpty && !text.contains(" ") }
    return text.utf8.count == 6
        && text.utf8.dropFirst(2).allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) }
}

fuzz { bytes in
    guard let hello = TLSServerHello.parse(bytes) else { return }
    invariant(bytes.count >= 44 && bytes[0] == 22 && bytes[5] == 2, "accepted a record that is no ServerHello")
    invariant(isName(hello.version), "odd version name '\(hello.version)'")
    invariant(isName(hello.cipher), "odd cipher name '\(hello.cipher)'")
}
