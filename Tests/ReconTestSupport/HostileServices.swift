import Foundation

/// The services of `Tests/fixtures/hostile.py` (banner, stream, drip, reset, garbage, bigheader,
/// http, tls, silent, and the audit's disclosing services with their hardened twins: webapp, irc,
/// dns, mysql, proftpd, exim, tls-widgits) on ephemeral 127.0.0.1 ports; stopped on deinit.
public final class HostileServices: @unchecked Sendable {
    /// Port of each mode started.
    public let ports: [String: UInt16]
    private let process = Process()

    public init(_ modes: [String], lifetime: Int = 60) throws {
        let script = CommandRunner.packageRoot.appendingPathComponent("Tests/fixtures/hostile.py").path
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--lifetime", String(lifetime)] + modes
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.contains("READY\n") && Date() < deadline {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        var ports: [String: UInt16] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, let port = UInt16(words[1]) { ports[String(words[0])] = port }
        }
        guard ports.count == modes.count else {
            process.terminate()
            throw NamespaceError(message: "hostile.py did not start: \(text)")
        }
        self.ports = ports
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}
