#if Capture
    import CPcap

    /// Why capture cannot start: no permission, no such interface, no route, a bad filter,
    /// an unwritable pcap file or another libpcap error. `description` is one line that says
    /// why and how to fix it.
    public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What went wrong, for programs; `description` is for people.
        public enum Kind: String, Sendable, Equatable {
            /// Not root and no CAP_NET_RAW.
            case permission
            /// The interface does not exist.
            case noSuchInterface
            /// The interface exists but is down.
            case interfaceDown
            /// No interface carries traffic to a target address.
            case noRoute
            /// libpcap rejected the BPF filter.
            case filter
            /// The pcap output file could not be opened.
            case output
            /// Any other libpcap or system failure.
            case libpcap
        }

        /// What went wrong.
        public let kind: Kind
        /// One line: why, and how to fix it.
        public let description: String

        init(_ kind: Kind, _ description: String) {
            self.kind = kind
            self.description = description
        }

        /// Maps a failed `pcap_activate` (or `pcap_create`) status to an error for `interface`;
        /// `detail` is libpcap's own message (`pcap_geterr`), used where it adds something.
        static func activation(status: Int32, interface: String, detail: String) -> CaptureError {
            switch status {
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                return CaptureError(
                    .permission,
                    "capture on \(interface) needs root or CAP_NET_RAW: run as root or "
                        + "`setcap cap_net_raw,cap_net_admin+eip recon`")
            case PCAP_ERROR_NO_SUCH_DEVICE:
                return CaptureError(
                    .noSuchInterface, "capture interface \(interface) does not exist: check `ip link`")
            case PCAP_ERROR_IFACE_NOT_UP:
                return CaptureError(
                    .interfaceDown,
                    "capture interface \(interface) is down: bring it up with `ip link set \(interface) up`")
            default:
                let text = oneLine(detail.isEmpty ? "error \(status)" : detail)
                return CaptureError(.libpcap, "capture on \(interface) failed to start: \(text)")
            }
        }

        /// libpcap text squeezed onto one line.
        static func oneLine(_ text: String) -> String {
            text.split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }
#endif
