#if Capture
    import ReconCore

    /// The capture around a scan as the pipeline uses it: started before the first connect,
    /// stopped after the last; then only the ports a report lists have their handshake looked up
    /// (the capture indexes its packet log once, on the first look-up).
    public final class CaptureSession: HandshakeCapture {
        private let capture: ScanCapture
        private let pcapOut: String?

        /// Starts capturing the traffic to `addresses` (`bufferMiB` of kernel buffer, packets also
        /// written to `pcapOut` when given), or fails saying why and how to fix it.
        public init(addresses: [IPAddress], bufferMiB: Int, pcapOut: String?) throws(CaptureError) {
            capture = try ScanCapture(addresses: addresses, bufferSize: bufferMiB << 20, pcapOut: pcapOut)
            self.pcapOut = pcapOut
        }

        public func stop() -> CaptureSummary {
            CaptureSummary(
                interfaces: [capture.device], filter: capture.filter, pcapOut: pcapOut, statistics: capture.stop())
        }

        public func handshake(for address: IPAddress, port: UInt16) -> Handshake? {
            capture.handshake(for: address, port: port)
        }
    }
#endif
