import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where output goes: standard output, standard error, or a file. Writes are whole (looped over
/// short writes) and serialized, so records written from scanning threads never interleave. A
/// closed pipe stops output quietly instead of killing recon.
public final class FileOutput: ReportOutput {
    public static let standardOutput = FileOutput(descriptor: 1)
    public static let standardError = FileOutput(descriptor: 2)

    private let state: Mutex<(descriptor: Int32, failed: Int32)>

    public init(descriptor: Int32) {
        state = Mutex((descriptor, 0))
    }

    /// Creates or truncates `path`; throws a one-line reason.
    public static func create(path: String) throws(OutputFileError) -> FileOutput {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutputFileError(description: "cannot write output file \(path): \(String(cString: strerror(errno)))")
        }
        return FileOutput(descriptor: descriptor)
    }

    /// Writes `text` as UTF-8.
    public func write(_ text: String) {
        write(Array(text.utf8))
    }

    public func write(_ bytes: [UInt8]) {
        state.withLock { state in
            guard state.failed == 0 else { return }
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    Glibc.write(state.descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    state.failed = errno
                    return
                }
                offset += written
            }
        }
    }

    /// The errno of the first failed write, or 0.
    public var failure: Int32 { state.withLock { $0.failed } }
}

/// An output file that cannot be created.
public struct OutputFileError: Error, Sendable, CustomStringConvertible {
    public let description: String
}
