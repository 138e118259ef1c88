import Foundation

/// The result of running a command to completion.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs programs for end-to-end tests: the built `recon` binary, `ip`, `iptables`, `python3`.
public enum CommandRunner {
    /// The package root (two folders above this file's folder).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The recon binary under test: `RECON_BIN`, else the debug build.
    public static var reconBinary: String {
        ProcessInfo.processInfo.environment["RECON_BIN"]
            ?? packageRoot.appendingPathComponent(".build/debug/recon").path
    }

    /// Runs `executable` with `arguments`, killing it after `timeout` seconds.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> CommandResult {
        let process = try start(executable, arguments)
        return try process.finish(timeout: timeout)
    }

    /// Runs recon with `arguments`.
    public static func recon(_ arguments: [String], timeout: Double = 60) throws -> CommandResult {
        try run(reconBinary, arguments, timeout: timeout)
    }

    /// Starts a process whose output is collected in temporary files.
    public static func start(_ executable: String, _ arguments: [String]) throws -> RunningCommand {
        try RunningCommand(executable: executable, arguments: arguments)
    }

    /// Validates JSON text against a definition of the checked-in schema (nil = the whole
    /// document) with Python's jsonschema; returns the validator's complaint or nil.
    public static func schemaViolation(json: String, definition: String? = nil) throws -> String? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recon-\(UUID().uuidString).json")
        try json.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let schema = packageRoot.appendingPathComponent("schema/recon-scan-v1.schema.json").path
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            if sys.argv[3]:
                schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/" + sys.argv[3]}
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = []
            for line in (open(sys.argv[2]).read().splitlines() if sys.argv[3] else [open(sys.argv[2]).read()]):
                for error in jsonschema.Draft202012Validator(schema).iter_errors(json.loads(line)):
                    errors.append(error.message)
            print("\\n".join(errors[:5]))
            sys.exit(1 if errors else 0)
            """
        let result = try run("/usr/bin/env", ["python3", "-c", script, schema, file.path, definition ?? ""])
        return result.status == 0 ? nil : result.stdout + result.stderr
    }
}

/// A started process; stdout and stderr go to temporary files so large output cannot block it.
public final class RunningCommand: @unchecked Sendable {
    public let process = Process()
    private let stdoutFile: URL
    private let stderrFile: URL

    init(executable: String, arguments: [String]) throws {
        let temporary = FileManager.default.temporaryDirectory
        stdoutFile = temporary.appendingPathComponent("recon-out-\(UUID().uuidString)")
        stderrFile = temporary.appendingPathComponent("recon-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
    }

    /// Sends a signal to the process.
    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits up to `timeout` seconds (then kills it) and returns what it printed.
    public func finish(timeout: Double) throws -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(at: stdoutFile)
            try? FileManager.default.removeItem(at: stderrFile)
        }
        return CommandResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")
    }
}
