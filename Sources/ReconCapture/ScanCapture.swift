#if Capture
    import CPcap
    import ReconCore
    import Synchronization

    #if canImport(Glibc)
        import Glibc
    #endif

    /// A running capture of the scan's own traffic.
    ///
    /// The pcap handle is opened and activated on the thread that calls `init`, so it captures
    /// in that thread's network namespace (a thread that called `setns` captures inside the
    /// namespace). Packets are then read on a dedicated thread, not Swift's concurrency pool.
    public final class ScanCapture: @unchecked Sendable {
        /// The device captured: the one interface all addresses route through, or `any`.
        public let device: String
        /// The BPF filter in force.
        public let filter: String

        private let handle: OpaquePointer
        private let sink: CaptureSink
        private let thread: pthread_t
        private let statistics = Mutex<CaptureStatistics?>(nil)
        /// Built on the first look-up after `stop`.
        private let index = Mutex<HandshakeIndex?>(nil)

        /// Packets are delivered in kernel blocks (no immediate mode: one wake-up per packet cost
        /// the scan 1.8x its time on loopback); a partly filled block is handed over after this,
        /// so a capture wakes its reader at most 100 times a second when packets are few.
        static let blockTimeoutMilliseconds: Int32 = 10
        /// How long `stop` waits for the last replies and resets before it stops reading: the
        /// block timeout (rounded up to the kernel's ticks: 12 ms at 250 Hz) and some slack.
        static let gracePeriodMicroseconds: UInt32 = 20_000
        /// Bytes kept per packet: link, IP and TCP headers with options, no payload.
        static let snapshotLength: Int32 = 128

        /// The interface that carries traffic to `address`: `lo` for loopback and for this
        /// machine's own addresses (Linux delivers those over `lo`), else the routed interface
        /// (`/proc/net/route`, `/proc/net/ipv6_route` of the calling thread's namespace).
        public static func interface(for address: IPAddress) -> String? {
            CaptureRoute.current().interface(for: address)
        }

        /// Opens the interface for `addresses` (`any` when they route through several, or
        /// `interface` when given) and starts capturing: block mode (10 ms), snaplen 128, promisc
        /// off, `bufferSize` bytes of kernel buffer, filter `tcp and (host A or host B ...)`.
        /// With `pcapOut`, every captured packet is also written there as a standard pcap file.
        /// Call before the first connect; returns once the capture is active and its reading
        /// thread started (packets are queued in the kernel from activation on). Until `stop`,
        /// the reading thread only copies each packet's header fields into a log (32 bytes a
        /// packet, at most 8M packets); flows and ports are sorted out on the first look-up.
        public init(
            addresses: [IPAddress], bufferSize: Int = 8 << 20, pcapOut: String?, interface: String? = nil
        ) throws(CaptureError) {
            guard !addresses.isEmpty else { throw CaptureError(.noRoute, "capture needs at least one target address") }
            let device: String
            if let interface { device = interface } else { device = try Self.device(for: addresses) }
            let filter = CaptureFilter.expression(for: addresses)
            let handle = try Self.activate(device, bufferSize: bufferSize)
            do throws(CaptureError) {
                let linkType = try Self.configure(handle, device: device, filter: filter)
                var dumper: OpaquePointer?
                if let pcapOut { dumper = try Self.openDump(handle, pcapOut) }
                let sink = CaptureSink(handle: handle, linkType: linkType, dumper: dumper, addresses: addresses)
                guard let thread = sink.start() else {
                    if let dumper { pcap_dump_close(dumper) }
                    throw CaptureError(.libpcap, "capture on \(device) failed to start its reading thread")
                }
                self.thread = thread
                self.sink = sink
            } catch {
                pcap_close(handle)
                throw error
            }
            self.device = device
            self.filter = filter
            self.handle = handle
        }

        deinit { _ = stop() }

        /// Stops after the last connect: waits a grace period (20 ms) for the last replies,
        /// breaks the read loop, reads what is still queued, joins the thread, flushes and closes
        /// the pcap file, and returns libpcap's statistics. Later calls return the same numbers.
        public func stop() -> CaptureStatistics {
            statistics.withLock { saved in
                if let saved { return saved }
                usleep(Self.gracePeriodMicroseconds)
                pcap_breakloop(handle)
                pthread_join(thread, nil)
                if let dumper = sink.dumper {
                    pcap_dump_flush(dumper)
                    pcap_dump_close(dumper)
                }
                var raw = pcap_stat()
                let result =
                    pcap_stats(handle, &raw) == 0
                    ? CaptureStatistics(
                        received: Int(raw.ps_recv), dropped: Int(raw.ps_drop), interfaceDropped: Int(raw.ps_ifdrop))
                    : CaptureStatistics(received: 0, dropped: 0, interfaceDropped: 0)
                Self.close(handle)
                saved = result
                return result
            }
        }

        /// Closes the handle, unmapping the ring at once but leaving the socket's last close to
        /// another thread: releasing a packet socket waits for an RCU grace period
        /// (`synchronize_net`, ~20 ms here), which the report need not wait for.
        private static func close(_ handle: OpaquePointer) {
            let socket = fcntl(pcap_fileno(handle), F_DUPFD_CLOEXEC, 0)  // no child may inherit it
            pcap_close(handle)  // the ring is unmapped; the socket stays open through `socket`
            guard socket >= 0 else { return }
            var thread = pthread_t()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            let context = UnsafeMutableRawPointer(bitPattern: Int(socket) + 1)
            let status = pthread_create(
                &thread, &attributes,
                { context in
                    Glibc.close(Int32(Int(bitPattern: context) - 1))
                    return nil
                }, context)
            if status != 0 { Glibc.close(socket) }
        }

        /// The handshake of `address`:`port` from the packets captured: every connection attempt
        /// to the port in time order, with its close (our RST or FIN and their answer); nil when
        /// no SYN to it was captured. Call after `stop` (a look-up stops a running capture). The
        /// first look-up sorts the captured packets by port (about 10 ms for every port of one
        /// address); each is then a binary search and builds only that port's handshake.
        public func handshake(for address: IPAddress, port: UInt16) -> Handshake? {
            withIndex { $0.handshake(for: address, port: port) }
        }

        /// The handshake of each (address, port) the scanner connected to, as
        /// `handshake(for:port:)` gives them; call after `stop`. This builds every port's
        /// handshake; a caller that reports only some ports should look those up instead.
        public func handshakes() -> [IPAddress: [UInt16: Handshake]] {
            withIndex { $0.handshakes() }
        }

        private func withIndex<Result>(_ body: (borrowing HandshakeIndex) -> Result) -> Result {
            _ = stop()
            return index.withLock { index in
                if index == nil { index = sink.recorder.pointee.index() }
                return body(index!)
            }
        }

        /// One interface if every address routes through it, else `any`.
        private static func device(for addresses: [IPAddress]) throws(CaptureError) -> String {
            let routes = CaptureRoute.current()
            var names = Set<String>()
            for address in Set(addresses) {
                guard let name = routes.interface(for: address) else {
                    throw CaptureError(
                        .noRoute, "no interface carries traffic to \(address): check `ip route get \(address)`")
                }
                names.insert(name)
            }
            return names.count == 1 ? names.first! : "any"
        }

        private static func activate(_ device: String, bufferSize: Int) throws(CaptureError) -> OpaquePointer {
            var errors = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
            guard let handle = pcap_create(device, &errors) else {
                throw CaptureError.activation(status: PCAP_ERROR, interface: device, detail: text(errors))
            }
            pcap_set_snaplen(handle, snapshotLength)
            pcap_set_promisc(handle, 0)
            pcap_set_immediate_mode(handle, 0)
            pcap_set_timeout(handle, Self.blockTimeoutMilliseconds)
            pcap_set_buffer_size(handle, Int32(clamping: bufferSize))
            let status = pcap_activate(handle)
            guard status >= 0 else {  // positive values are warnings
                let detail = String(cString: pcap_geterr(handle))
                pcap_close(handle)
                throw CaptureError.activation(status: status, interface: device, detail: detail)
            }
            if device == "lo" { ignoreOutgoing(handle) }
            return handle
        }

        /// On `lo` the kernel hands a packet socket every packet twice, as sent and as received,
        /// and libpcap drops the sent copy after the kernel filtered and copied it into the ring.
        /// `PACKET_IGNORE_OUTGOING` (Linux 4.20) has the kernel skip the sent copy: half the
        /// kernel's work per packet and half the ring's pages; the packets seen are the same.
        /// Where the kernel lacks it, libpcap still drops the copy.
        private static func ignoreOutgoing(_ handle: OpaquePointer) {
            let solPacket: Int32 = 263  // SOL_PACKET
            let packetIgnoreOutgoing: Int32 = 23  // PACKET_IGNORE_OUTGOING
            var on: Int32 = 1
            _ = setsockopt(
                pcap_fileno(handle), solPacket, packetIgnoreOutgoing, &on, socklen_t(MemoryLayout<Int32>.size))
        }

        private static func configure(
            _ handle: OpaquePointer, device: String, filter: String
        ) throws(CaptureError) -> PacketDecoder.LinkType {
            let raw = pcap_datalink(handle)
            guard let linkType = PacketDecoder.LinkType(rawValue: raw) else {
                let name = pcap_datalink_val_to_name(raw).map { String(cString: $0) } ?? "\(raw)"
                throw CaptureError(.libpcap, "capture on \(device) is not possible: unsupported link type \(name)")
            }
            var program = bpf_program()
            guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                throw CaptureError(.filter, "capture filter rejected: \(lastError(handle))")
            }
            defer { pcap_freecode(&program) }
            guard pcap_setfilter(handle, &program) == 0 else {
                throw CaptureError(.filter, "capture filter not applied: \(lastError(handle))")
            }
            return linkType
        }

        private static func openDump(_ handle: OpaquePointer, _ path: String) throws(CaptureError) -> OpaquePointer {
            guard let dumper = pcap_dump_open(handle, path) else {
                throw CaptureError(.output, "cannot write pcap file \(path): \(lastError(handle))")
            }
            return dumper
        }

        /// libpcap's message for the handle's last failure, on one line.
        private static func lastError(_ handle: OpaquePointer) -> String {
            CaptureError.oneLine(String(cString: pcap_geterr(handle)))
        }

        private static func text(_ buffer: [CChar]) -> String {
            buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    /// The reading side: the pcap loop on its own thread, copying each packet's header fields
    /// into the recorder's log (see `HandshakeRecorder`) and the packet to the pcap file.
    final class CaptureSink: @unchecked Sendable {
        let handle: OpaquePointer
        let linkType: PacketDecoder.LinkType
        let dumper: OpaquePointer?
        /// Written by the reading thread only; read by others after it was joined. A pointer,
        /// not a stored `var`, so a packet costs no exclusivity check.
        let recorder: UnsafeMutablePointer<HandshakeRecorder>

        /// Read calls made to drain the queue after the loop was broken, at most.
        static let drainLimit = 10_000

        init(handle: OpaquePointer, linkType: PacketDecoder.LinkType, dumper: OpaquePointer?, addresses: [IPAddress]) {
            self.handle = handle
            self.linkType = linkType
            self.dumper = dumper
            recorder = .allocate(capacity: 1)
            recorder.initialize(to: HandshakeRecorder(addresses: addresses))
        }

        deinit {
            recorder.deinitialize(count: 1)
            recorder.deallocate()
        }

        /// Starts the reading thread; nil if the system would not make one.
        func start() -> pthread_t? {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let status = pthread_create(
                &thread, nil,
                { raw in
                    Unmanaged<CaptureSink>.fromOpaque(raw!).takeRetainedValue().run()
                    return nil
                }, context)
            guard status == 0 else {
                Unmanaged<CaptureSink>.fromOpaque(context).release()
                return nil
            }
            return thread
        }

        /// Reads until `pcap_breakloop`, then whatever is still queued, without blocking.
        private func run() {
            let user = Unmanaged.passUnretained(self).toOpaque().assumingMemoryBound(to: UInt8.self)
            let callback: pcap_handler = { user, header, bytes in
                guard let user, let header, let bytes else { return }
                // `run` holds a reference for as long as the loop runs: no retain per packet.
                Unmanaged<CaptureSink>.fromOpaque(UnsafeRawPointer(user))._withUnsafeGuaranteedRef {
                    $0.receive(header, bytes)
                }
            }
            _ = pcap_loop(handle, -1, callback, user)
            var errors = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
            guard pcap_setnonblock(handle, 1, &errors) == 0 else { return }
            for _ in 0..<Self.drainLimit {
                guard pcap_dispatch(handle, -1, callback, user) > 0 else { break }
            }
        }

        @inline(__always)
        private func receive(_ header: UnsafePointer<pcap_pkthdr>, _ bytes: UnsafePointer<UInt8>) {
            if let dumper { pcap_dump(UnsafeMutablePointer(dumper), header, bytes) }
            let captured = UnsafeRawBufferPointer(start: bytes, count: Int(header.pointee.caplen))
            guard let segment = PacketDecoder.decode(linkType: linkType, captured) else { return }
            let time = Int64(header.pointee.ts.tv_sec) * 1_000_000 + Int64(header.pointee.ts.tv_usec)
            recorder.pointee.record(segment, time: time)
        }
    }
#endif
