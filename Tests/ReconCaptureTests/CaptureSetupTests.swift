#if Capture
    import CPcap
    import ReconCore
    import Testing

    @testable import ReconCapture

    /// Route choice, filter text and error messages, without capturing.
    struct CaptureSetupTests {
        static let ipv4Table = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
            eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
            wg0\t0000A8C0\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
            blk\t0005A8C0\t00000000\t0201\t0\t0\t0\t00FFFFFF\t0\t0\t0
            """
        static let ipv6Table = """
            20010db8000000000000000000000000 20 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
            00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
            """

        static let routes = CaptureRoute(
            ipv4Table: ipv4Table, ipv6Table: ipv6Table, localAddresses: [IPAddress("10.0.0.5")!])

        @Test(arguments: [
            ("127.0.0.1", "lo"), ("127.8.9.10", "lo"), ("::1", "lo"), ("10.0.0.5", "lo"), ("10.0.0.9", "eth0"),
            ("192.168.7.1", "wg0"), ("192.168.5.1", "wg0"), ("8.8.8.8", "eth0"), ("2001:db8::7", "eth0"),
        ])
        func interfaceChoice(address: String, interface: String) {
            #expect(Self.routes.interface(for: IPAddress(address)!) == interface)
        }

        @Test func unroutableIPv6HasNoInterface() {
            #expect(Self.routes.interface(for: IPAddress("2001:db9::1")!) == nil)  // only a reject default
        }

        @Test func thisMachinesRoutes() {
            #expect(ScanCapture.interface(for: IPAddress("127.0.0.1")!) == "lo")
            #expect(ScanCapture.interface(for: IPAddress("::1")!) == "lo")
            for own in InterfaceAddress.current() {
                #expect(ScanCapture.interface(for: own.address) == "lo")
            }
        }

        @Test func filterText() {
            #expect(
                CaptureFilter.expression(for: [IPAddress("::1")!, IPAddress("127.0.0.1")!, IPAddress("127.0.0.1")!])
                    == "tcp and (host 127.0.0.1 or host ::1)")
            let many = (1...100).map { IPAddress.v4(0x0A00_0000 | UInt32($0 % 2 + 1) << 8 | UInt32($0)) }
            #expect(CaptureFilter.expression(for: many) == "tcp and (net 10.0.1.0/24 or net 10.0.2.0/24)")
            let huge = (1...5000).map { IPAddress.v4(0x0A00_0000 | UInt32($0) << 8) }
            #expect(CaptureFilter.expression(for: huge) == "tcp")
        }

        @Test func permissionErrorIsOneLineWithTheFix() {
            let error = CaptureError.activation(
                status: PCAP_ERROR_PERM_DENIED, interface: "lo", detail: "socket: Operation not permitted")
            #expect(error.kind == .permission)
            #expect(
                error.description
                    == "capture on lo needs root or CAP_NET_RAW: run as root or `setcap cap_net_raw,cap_net_admin+eip recon`"
            )
        }

        @Test func otherActivationErrors() {
            let missing = CaptureError.activation(status: PCAP_ERROR_NO_SUCH_DEVICE, interface: "eth9", detail: "")
            #expect(missing.kind == .noSuchInterface && missing.description.contains("eth9"))
            let down = CaptureError.activation(status: PCAP_ERROR_IFACE_NOT_UP, interface: "eth1", detail: "")
            #expect(down.kind == .interfaceDown && down.description.contains("ip link set eth1 up"))
            let other = CaptureError.activation(status: PCAP_ERROR, interface: "lo", detail: "first\nsecond")
            #expect(other.kind == .libpcap && other.description == "capture on lo failed to start: first second")
        }
    }
#endif
