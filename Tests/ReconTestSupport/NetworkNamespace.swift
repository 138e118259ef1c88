import Foundation

/// A private network namespace with only `lo` up, made for one test and deleted after it.
/// Nothing sent inside can leave the machine: there is no other interface and no route.
public final class NetworkNamespace: @unchecked Sendable {
    public let name: String
    private var background: [RunningCommand] = []

    /// True where namespaces can be made (root with `ip` and `iptables`), as in CI.
    public static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
            && (FileManager.default.isExecutableFile(atPath: "/usr/sbin/iptables")
                || FileManager.default.isExecutableFile(atPath: "/sbin/iptables"))
    }

    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()

    public init() throws {
        let serial = Self.lock.withLock {
            Self.counter += 1
            return Self.counter
        }
        name = "recon-t\(getpid())-\(serial)"
        try Self.check(CommandRunner.run("/usr/sbin/ip", ["netns", "add", name]))
        try Self.check(CommandRunner.run("/usr/sbin/ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"]))
    }

    /// Runs a command inside the namespace.
    @discardableResult
    public func run(_ arguments: [String], timeout: Double = 60) throws -> CommandResult {
        try CommandRunner.run("/usr/sbin/ip", ["netns", "exec", name] + arguments, timeout: timeout)
    }

    /// Runs recon inside the namespace.
    public func recon(_ arguments: [String], timeout: Double = 60) throws -> CommandResult {
        try run([CommandRunner.reconBinary] + arguments, timeout: timeout)
    }

    /// Adds an iptables rule (`-A CHAIN ...`) inside the namespace.
    public func iptables(_ arguments: [String]) throws {
        try Self.check(run(["iptables"] + arguments))
    }

    /// Starts a Python listener on 127.0.0.1:`port` inside the namespace; it exits by itself
    /// after `lifetime` seconds and is stopped when the namespace goes.
    public func listen(port: UInt16, lifetime: Int = 60) throws {
        let script = """
            import socket, sys, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
            print("ready", flush=True); time.sleep(int(sys.argv[2]))
            """
        let command = try CommandRunner.start(
            "/usr/sbin/ip", ["netns", "exec", name, "python3", "-c", script, String(port), String(lifetime)])
        background.append(command)
        for _ in 0..<100 {
            if try run(["ss", "-Htln", "sport = :\(port)"]).stdout.contains("LISTEN") { return }
            usleep(20_000)
        }
        throw TestSetupError("listener on \(port) did not start")
    }

    /// Packets counted by the rules of the namespace's OUTPUT chain (needs a counting rule added
    /// first); throws if the chain cannot be listed or has no rule.
    public func outputPackets() throws -> Int {
        let result = try run(["iptables", "-L", "OUTPUT", "-v", "-x", "-n"])
        try Self.check(result)
        // Two header lines ("Chain OUTPUT ...", the column names), then one line per rule
        // (iptables-nft may add a "# Warning: ..." line).
        let rules = result.stdout.split(separator: "\n").dropFirst(2).filter { !$0.hasPrefix("#") }
        let counters = rules.compactMap { $0.split(separator: " ").first.flatMap { Int($0) } }
        guard !counters.isEmpty, counters.count == rules.count else {
            throw TestSetupError("cannot read the packet counters of the OUTPUT chain:\n\(result.stdout)")
        }
        return counters.reduce(0, +)
    }

    deinit {
        for command in background {
            command.signal(SIGKILL)
            _ = try? command.finish(timeout: 2)
        }
        _ = try? CommandRunner.run("/usr/sbin/ip", ["netns", "del", name])
    }

    private static func check(_ result: CommandResult) throws {
        guard result.status == 0 else { throw TestSetupError(result.stderr) }
    }
}
