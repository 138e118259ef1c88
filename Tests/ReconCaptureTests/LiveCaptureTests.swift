#if Capture
    import Foundation
    import ReconCapture
    import ReconCore
    import ReconTestSupport
    import Testing

    #if canImport(Glibc)
        import Glibc
    #endif

    /// Real handshakes on `lo`, each test in a network namespace of its own, so only its own
    /// traffic is there (and a firewall rule can make a port filtered). Needs root, as in CI.
    @Suite(.enabled(if: liveCaptureAvailable, "needs root, ip and iptables"))
    struct LiveCaptureTests {
        @Test func openClosedAndFilteredPorts() async throws {
            let namespace = try NetworkNamespace()
            let filtered: UInt16 = 9
            try namespace.iptables(["-A", "INPUT", "-p", "tcp", "--dport", String(filtered), "-j", "DROP"])
            let seen = try await onNamespaceThread(namespace.name) {
                let open = TestSocket()
                let closed = TestSocket(listening: false)
                let twice = TestSocket()
                let capture = try ScanCapture(addresses: [loopback4], pcapOut: nil)
                let errnos = [
                    connectOnce(loopback4, open.port), connectOnce(loopback4, closed.port),
                    connectOnce(loopback4, filtered, timeoutMilliseconds: 1500),
                    connectOnce(loopback4, twice.port), connectOnce(loopback4, twice.port, reset: false),
                ]
                let statistics = capture.stop()
                return (
                    ports: [open.port, closed.port, filtered, twice.port], device: capture.device, errnos: errnos,
                    statistics: statistics, handshakes: capture.handshakes()[loopback4] ?? [:]
                )
            }
            #expect(seen.device == "lo")
            #expect(seen.errnos[0] == 0 && seen.errnos[1] == ECONNREFUSED && seen.errnos[2] == EINPROGRESS)
            #expect(Set(seen.handshakes.keys) == Set(seen.ports))

            let open = try #require(seen.handshakes[seen.ports[0]])
            #expect(open.compact == "S SA A RA")
            #expect(open.packets.map(\.direction) == [.outbound, .inbound, .outbound, .outbound])
            #expect(open.packets.map(\.ttl) == [64, 64, 64, 64] && open.packets[0].timeMicroseconds == 0)
            #expect(open.wireReason == .synAck && open.synRetransmissions == 0 && open.wireRttMicroseconds != nil)

            let closed = try #require(seen.handshakes[seen.ports[1]])
            #expect(closed.compact == "S RA")
            #expect(closed.packets.map(\.direction) == [.outbound, .inbound] && closed.wireReason == .reset)

            let dropped = try #require(seen.handshakes[seen.ports[2]])
            #expect(dropped.packets.allSatisfy { $0.direction == .outbound && $0.flags == "S" })
            #expect(dropped.synRetransmissions >= 1 && dropped.synRetransmissions == dropped.packets.count - 1)
            #expect(dropped.wireReason == .noResponse && dropped.wireRttMicroseconds == nil)
            #expect(dropped.packets[1].timeMicroseconds >= 900_000)  // the kernel's 1 s initial RTO

            // Two connects to one port: the RST close, then a FIN close the listener's kernel ACKs.
            let twice = try #require(seen.handshakes[seen.ports[3]])
            #expect(twice.compact == "S SA A RA S SA A FA A")
            #expect(twice.synRetransmissions == 1)
            #expect(twice.packets.map(\.timeMicroseconds) == twice.packets.map(\.timeMicroseconds).sorted())

            #expect(seen.statistics.received >= 17 && seen.statistics.dropped == 0)
        }

        @Test func ipv6OpenAndClosed() async throws {
            let namespace = try NetworkNamespace()
            let seen = try await onNamespaceThread(namespace.name) {
                let open = TestSocket(ipv6: true)
                let closed = TestSocket(ipv6: true, listening: false)
                let capture = try ScanCapture(addresses: [loopback6], pcapOut: nil)
                let errnos = [connectOnce(loopback6, open.port), connectOnce(loopback6, closed.port)]
                let statistics = capture.stop()
                #expect(capture.stop() == statistics)  // stopping again changes nothing
                return (
                    ports: [open.port, closed.port], device: capture.device, errnos: errnos, statistics: statistics,
                    handshakes: capture.handshakes()[loopback6] ?? [:]
                )
            }
            #expect(seen.device == "lo" && seen.errnos == [0, ECONNREFUSED])
            let open = try #require(seen.handshakes[seen.ports[0]])
            #expect(open.compact == "S SA A RA" && open.wireReason == .synAck)
            #expect(open.packets.allSatisfy { $0.ttl == 64 })  // hop limit
            let closed = try #require(seen.handshakes[seen.ports[1]])
            #expect(closed.compact == "S RA" && closed.wireReason == .reset)
            #expect(seen.statistics.received >= 6 && seen.statistics.dropped == 0)
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"), "needs tshark"))
        func pcapFileAgreesWithTsharkAndTcpdump() async throws {
            let namespace = try NetworkNamespace()
            try await withTemporaryFile(suffix: ".pcap") { path in
                let seen = try await onNamespaceThread(namespace.name) {
                    let open = TestSocket()
                    let closed = TestSocket(listening: false)
                    let capture = try ScanCapture(addresses: [loopback4, loopback6], pcapOut: path)
                    _ = [
                        connectOnce(loopback4, open.port), connectOnce(loopback4, closed.port),
                        connectOnce(loopback4, open.port, reset: false),
                    ]
                    _ = capture.stop()
                    return (ports: [open.port, closed.port], handshakes: capture.handshakes()[loopback4] ?? [:])
                }
                let fields = ["tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.window_size_value", "ip.ttl", "tcp.len"]
                let result = try CommandRunner.run(
                    "/usr/bin/tshark",
                    ["-r", path, "-T", "fields", "-E", "separator=,"] + fields.flatMap { ["-e", $0] })
                try #require(result.status == 0, "tshark: \(result.stderr)")
                let rows = result.stdout.split(separator: "\n").map {
                    $0.split(separator: ",", omittingEmptySubsequences: false)
                }
                #expect(rows.count == 4 + 2 + 5)
                for port in seen.ports {
                    let handshake = try #require(seen.handshakes[port])
                    let mine = rows.filter { UInt16($0[0]) == port || UInt16($0[1]) == port }
                    #expect(mine.count == handshake.packets.count)
                    for (row, packet) in zip(mine, handshake.packets) {
                        #expect((UInt16(row[1]) == port ? "out" : "in") == packet.direction.rawValue)
                        #expect(Self.tcpdumpFlags(hex: String(row[2])) == packet.flags)
                        #expect(
                            Int(row[3]) == packet.window && Int(row[4]) == packet.ttl && Int(row[5]) == packet.length)
                    }
                }
                // tcpdump reads the same file and prints the same flag text.
                let dump = try CommandRunner.run("/usr/bin/tcpdump", ["-nn", "-r", path])
                try #require(dump.status == 0, "tcpdump: \(dump.stderr)")
                for port in seen.ports {
                    let lines = dump.stdout.split(separator: "\n").filter {
                        $0.contains(".\(port) >") || $0.contains(".\(port):")
                    }
                    let flags = lines.compactMap { line in
                        line.range(of: "Flags [").map { String(line[$0.upperBound...].prefix { $0 != "]" }) }
                    }
                    #expect(flags == seen.handshakes[port]?.packets.map(\.flags))
                }
            }
        }

        /// tshark's `tcp.flags` (`0x0012`) in tcpdump's letters, spelled out independently of the library.
        static func tcpdumpFlags(hex: String) -> String {
            let value = Int(hex.dropFirst(2), radix: 16) ?? -1
            let names: [(Int, String)] = [
                (0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W"),
            ]
            return names.filter { value & $0.0 != 0 }.map(\.1).joined()
        }

        @Test func missingInterfaceIsNamed() async throws {
            let namespace = try NetworkNamespace()
            let error = try await onNamespaceThread(namespace.name) { () -> CaptureError? in
                do throws(CaptureError) {
                    _ = try ScanCapture(addresses: [loopback4], pcapOut: nil, interface: "recon-nope0")
                    return nil
                } catch { return error }
            }
            let captured = try #require(error)
            #expect(captured.kind == .noSuchInterface)
            #expect(captured.description == "capture interface recon-nope0 does not exist: check `ip link`")
        }

        @Test func unwritablePcapFileFailsBeforeAnyTraffic() async throws {
            let namespace = try NetworkNamespace()
            let error = try await onNamespaceThread(namespace.name) { () -> CaptureError? in
                do throws(CaptureError) {
                    _ = try ScanCapture(addresses: [loopback4], pcapOut: "/nonexistent-recon-dir/out.pcap")
                    return nil
                } catch { return error }
            }
            let captured = try #require(error)
            #expect(
                captured.kind == .output
                    && captured.description.hasPrefix("cannot write pcap file /nonexistent-recon-dir/out.pcap: "))
            #expect(!captured.description.contains("\n"))
        }

        @Test func withoutCapNetRawTheErrorSaysHowToFix() async throws {
            let namespace = try NetworkNamespace()
            let error = try await onNamespaceThread(namespace.name, dropCapabilities: true) { () -> CaptureError? in
                do throws(CaptureError) {
                    _ = try ScanCapture(addresses: [loopback4], pcapOut: nil)
                    return nil
                } catch { return error }
            }
            let captured = try #require(error)
            #expect(captured.kind == .permission)
            #expect(captured.description.contains("CAP_NET_RAW") && captured.description.contains("setcap"))
        }
    }
#endif
