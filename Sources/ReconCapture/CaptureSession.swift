#if Capture
    import ReconCore
    import Synchronization

    /// The capture around a scan as the pipeline uses it: started before the first connect,
    /// stopped after the last; then each reported port's handshake is looked up.
    public final class CaptureSession: HandshakeCapture {
        private let capture: ScanCapture
        private let pcapOut: String?
        private let handshakes = Mutex<[IPAddress: [UInt16: Handshake]]>([:])

        /// Starts capturing the traffic to `addresses` (`bufferMiB` of kernel buffer, packets also
        /// written to `pcapOut` when given), or fails saying why and how to fix it.
        public init(addresses: [IPAddress], bufferMiB: Int, pcapOut: String?) throws(CaptureError) {
            capture = try ScanCapture(addresses: addresses, bufferSize: bufferMiB << 20, pcapOut: pcapOut)
            self.pcapOut = pcapOut
        }

        public func stop() -> CaptureSummary {
            let statistics = capture.stop()
            handshakes.withLock { $0 = capture.handshakes() }
            return CaptureSummary(
                interfaces: [capture.device], filter: capture.filter, pcapOut: pcapOut, statistics: statistics)
        }

        public func handshake(for address: IPAddress, port: UInt16) -> Handshake? {
            handshakes.withLock { $0[address]?[port] }
        }
    }
#endif
