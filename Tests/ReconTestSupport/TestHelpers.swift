import Foundation
import ReconCore

extension CommandResult {
    /// stdout as a JSON scan report (`--format json`).
    public func report() throws -> ScanReport {
        try JSONDecoder().decode(ScanReport.self, from: Data(stdout.utf8))
    }

    /// stdout's lines.
    public var lines: [String] {
        stdout.split(separator: "\n").map(String.init)
    }

    /// The port records of JSON Lines output (`--format jsonl`): every line between the start and end records.
    public func portRecords() throws -> [PortRecord] {
        try lines.dropFirst().dropLast().map { try JSONDecoder().decode(PortRecord.self, from: Data($0.utf8)) }
    }
}

extension ScanReport {
    /// The entry of `port` on the report's `host`-th host, if listed.
    public func port(_ port: some BinaryInteger, host: Int = 0) -> PortEntry? {
        hosts.indices.contains(host) ? hosts[host].ports.first { $0.port == Int(port) } : nil
    }
}

/// A test setup step failed (a namespace, a helper process, a daemon, a capture thread).
public struct TestSetupError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(_ message: String) {
        self.message = message
    }
}

/// Runs `body` with the path of a new temporary file (holding `text`, if given; not created
/// otherwise) whose name ends in `suffix`, and removes the file afterwards.
public func withTemporaryFile<T>(_ text: String? = nil, suffix: String = "", _ body: (String) throws -> T) throws -> T {
    let path = try temporaryFile(text, suffix: suffix)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Runs async `body` with the path of a new temporary file, as the synchronous `withTemporaryFile`.
public func withTemporaryFile<T>(
    _ text: String? = nil, suffix: String = "", _ body: (String) async throws -> T
) async throws -> T {
    let path = try temporaryFile(text, suffix: suffix)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

private func temporaryFile(_ text: String?, suffix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("recon-\(UUID().uuidString)\(suffix)")
        .path
    try text?.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
