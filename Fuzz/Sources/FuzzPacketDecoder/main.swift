// Fuzzes the capture's packet decoder (PacketDecoder.decode) on any captured bytes: the first
// input byte picks the link type, the rest is the packet. It must return nil or a segment whose
// addresses are of one family, never trap or read past the bytes (AddressSanitizer watches).
import FuzzSupport
import ReconCore

@testable import ReconCapture

let linkTypes: [PacketDecoder.LinkType] = [.null, .ethernet, .raw, .rawBSD, .rawLinktype, .loop, .linuxSLL, .linuxSLL2]

fuzz { bytes in
    guard let selector = bytes.first else { return }
    let linkType = linkTypes[Int(selector) % linkTypes.count]
    // A copy of exactly the packet's bytes, so a read past them is a heap overflow ASan reports.
    let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count - 1, alignment: 1)
    defer { packet.deallocate() }
    packet.copyBytes(from: bytes.dropFirst())
    guard let segment = PacketDecoder.decode(linkType: linkType, UnsafeRawBufferPointer(packet)) else { return }
    invariant(segment.source.isIPv4 == segment.destination.isIPv4, "mixed address families")
    invariant((0...65535).contains(segment.payloadLength), "payload length \(segment.payloadLength)")
    invariant(bytes.count - 1 >= 36, "a segment from \(bytes.count - 1) bytes: no room for IP and TCP headers")
    invariant(!TCPFlags.tcpdump(segment.flags).isEmpty && !TCPFlags.compact(segment.flags).isEmpty, "flag text")
}
