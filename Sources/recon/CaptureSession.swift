import ReconCore

#if Capture
    import ReconCapture
#endif

/// The optional packet capture around the connect scan: started before the first connect,
/// stopped after the last, so the handshakes can be put into the report.
struct CaptureSession {
    #if Capture
        private let capture: ScanCapture
    #endif
    private let pcapOut: String?

    /// Starts capturing the traffic to `targets`, or fails with one line saying why and how to fix it.
    init(targets: [AuthorizedTarget], bufferMiB: Int, pcapOut: String?) throws(ReconFailure) {
        self.pcapOut = pcapOut
        #if Capture
            do {
                capture = try ScanCapture(
                    addresses: targets.map(\.address), bufferSize: bufferMiB << 20, pcapOut: pcapOut)
            } catch {
                throw ReconFailure(message: error.description, code: .captureUnavailable)
            }
        #else
            throw ReconFailure(
                message: "this recon was built without capture support: rebuild with the default traits "
                    + "(libpcap-dev installed)", code: .captureUnavailable)
        #endif
    }

    /// The handshake of one port, after `stop` (or `finish`): cheap per call (the capture indexes its
    /// packets once, on the first look-up); nil when none was captured.
    func handshake(for address: IPAddress, port: UInt16) -> Handshake? {
        #if Capture
            capture.handshake(for: address, port: port)
        #else
            nil
        #endif
    }

    /// Stops (later calls change nothing) and returns the capture summary; the handshakes are
    /// then looked up with `handshake(for:port:)`.
    func stop() -> CaptureSummary {
        #if Capture
            CaptureSummary(
                interfaces: [capture.device], filter: capture.filter, pcapOut: pcapOut, statistics: capture.stop())
        #else
            CaptureSummary(
                interfaces: [], filter: "", pcapOut: nil,
                statistics: .init(received: 0, dropped: 0, interfaceDropped: 0))
        #endif
    }

    /// Stops and returns every port's handshake and the capture summary. Building every port's
    /// handshake costs memory in proportion to the ports scanned: prefer `stop` and looking up
    /// the ports reported.
    func finish() -> ([IPAddress: [UInt16: Handshake]], CaptureSummary) {
        let summary = stop()
        #if Capture
            return (capture.handshakes(), summary)
        #else
            return ([:], summary)
        #endif
    }
}
