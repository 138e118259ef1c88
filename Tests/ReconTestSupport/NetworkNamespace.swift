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

    /// Runs recon inside the namespace; with `measuringPeakMemory`, under GNU time (as
    /// `CommandRunner.recon` does), which reports recon's peak resident set size in `peakMemoryKiB`.
    public func recon(_ arguments: [String], timeout: Double = 60, measuringPeakMemory: Bool = false) throws
        -> CommandResult
    {
        guard measuringPeakMemory else { return try run([CommandRunner.reconBinary] + arguments, timeout: timeout) }
        return try withTemporaryFile(suffix: ".maxrss") { file in
            let result = try run(
                ["/usr/bin/time", "--quiet", "--format=%M", "--output=\(file)", CommandRunner.reconBinary] + arguments,
                timeout: timeout)
            let peak = (try? String(contentsOfFile: file, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return CommandResult(
                status: result.status, stdout: result.stdout, stderr: result.stderr, peakMemoryKiB: peak)
        }
    }

    /// Starts recon inside the namespace without waiting for it (for scans at the same time).
    public func startRecon(_ arguments: [String]) throws -> RunningCommand {
        try CommandRunner.start("/usr/sbin/ip", ["netns", "exec", name, CommandRunner.reconBinary] + arguments)
    }

    /// Sets a kernel setting of the namespace (`net.ipv4.ip_local_port_range=40000 40199`);
    /// network settings such as this one are the namespace's own.
    public func sysctl(_ setting: String) throws {
        try Self.check(run(["sysctl", "-q", "-w", setting]))
    }

    /// Runs `body` while recording when each TCP SYN to a port in `ports` left on `lo`: the
    /// kernel's timestamps (SO_TIMESTAMPNS on an AF_PACKET socket, so a busy recorder cannot
    /// bunch them up), in seconds, ascending. Retransmitted SYNs count too.
    public func recordingSYNs<T>(to ports: ClosedRange<Int>, _ body: () throws -> T) throws -> (T, [Double]) {
        let script = """
            import select, signal, socket, struct, sys, time
            low, high = int(sys.argv[1]), int(sys.argv[2])
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
            s.bind(("lo", 0))
            s.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
            stop = []
            signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
            # The test runner's threads may block SIGTERM, and a spawned child inherits that.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
            print("ready", flush=True)
            times, end = [], time.monotonic() + 120
            while time.monotonic() < end and not stop:
                if not select.select([s], [], [], 0.05)[0]:
                    continue
                data, ancillary, _, address = s.recvmsg(128, 64)
                # Each loopback packet is seen leaving and arriving: keep one. IPv4 over Ethernet only.
                if address[2] == socket.PACKET_OUTGOING or len(data) < 48 or (data[12], data[13]) != (8, 0):
                    continue
                ip = data[14:]
                tcp = ip[(ip[0] & 15) * 4:]
                if ip[9] != 6 or tcp[13] & 0x12 != 0x02 or not low <= struct.unpack("!H", tcp[2:4])[0] <= high:
                    continue
                for level, kind, value in ancillary:
                    if level == socket.SOL_SOCKET and kind == 35:
                        seconds, nanoseconds = struct.unpack("qq", value[:16])
                        times.append(seconds + nanoseconds / 1e9)
            print(" ".join("%.9f" % t for t in sorted(times)), flush=True)
            """
        let recorder = try CommandRunner.start(
            "/usr/sbin/ip",
            ["netns", "exec", name, "python3", "-c", script, String(ports.lowerBound), String(ports.upperBound)])
        for _ in 0..<250 where !recorder.stdoutSoFar.hasPrefix("ready") { usleep(20_000) }
        guard recorder.stdoutSoFar.hasPrefix("ready") else {
            recorder.signal(SIGKILL)
            _ = try? recorder.finish(timeout: 2)
            throw TestSetupError("the SYN recorder did not start")
        }
        let value: T
        do {
            value = try body()
        } catch {
            recorder.signal(SIGKILL)
            _ = try? recorder.finish(timeout: 2)
            throw error
        }
        usleep(100_000)  // the last packets reach the recorder
        recorder.signal(SIGTERM)
        let output = try recorder.finish(timeout: 10)
        let lines = output.stdout.split(separator: "\n")
        guard output.status == 0, lines.first == "ready" else {
            throw TestSetupError(
                "the SYN recorder failed (\(output.status)): \(output.stderr) \(output.stdout.prefix(200))")
        }
        return (value, lines.dropFirst().first.map { $0.split(separator: " ").compactMap { Double($0) } } ?? [])
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

    /// Starts `count` listeners on 127.0.0.1 inside the namespace, on ports the kernel picks, in
    /// one Python process that exits by itself after `lifetime` seconds and is stopped when the
    /// namespace goes; returns their ports, ascending.
    public func listeners(count: Int, lifetime: Int = 120) throws -> [UInt16] {
        let script = """
            import socket, sys, time
            sockets = []
            for _ in range(int(sys.argv[1])):
                s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64); sockets.append(s)
            print(" ".join(str(s.getsockname()[1]) for s in sockets), flush=True); time.sleep(int(sys.argv[2]))
            """
        let command = try CommandRunner.start(
            "/usr/sbin/ip", ["netns", "exec", name, "python3", "-c", script, String(count), String(lifetime)])
        background.append(command)
        for _ in 0..<250 {
            let line = command.stdoutSoFar
            if line.hasSuffix("\n") {
                let ports = line.split(whereSeparator: \.isWhitespace).compactMap { UInt16($0) }
                guard ports.count == count else { throw TestSetupError("listeners said: \(line)") }
                return ports.sorted()
            }
            if command.hasExited { break }
            usleep(20_000)
        }
        throw TestSetupError("\(count) listeners did not start")
    }

    /// Starts a listener on 127.0.0.1:`port` inside the namespace that sends `banner` to every
    /// connection (and nothing when it is empty), until `stop` or `lifetime` seconds.
    public func serve(port: UInt16, banner: String, lifetime: Int = 120) throws -> NamespaceListener {
        let script = """
            import socket, sys, time, threading
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); s.settimeout(0.2)
            banner, end = sys.argv[2].encode().decode("unicode_escape").encode("latin-1"), time.monotonic() + int(sys.argv[3])
            def answer(c):
                try:
                    c.sendall(banner); time.sleep(2); c.close()
                except OSError: pass
            while time.monotonic() < end:
                try: c, _ = s.accept()
                except socket.timeout: continue
                threading.Thread(target=answer, args=(c,), daemon=True).start()
            """
        let command = try CommandRunner.start(
            "/usr/sbin/ip", ["netns", "exec", name, "python3", "-c", script, String(port), banner, String(lifetime)])
        let listener = NamespaceListener(command: command, namespace: self, port: port)
        for _ in 0..<100 {
            if try run(["ss", "-Htln", "sport = :\(port)"]).stdout.contains("LISTEN") { return listener }
            usleep(20_000)
        }
        listener.stop()
        throw TestSetupError("listener on \(port) did not start")
    }

    /// Connects the namespace to `bridge` (a bridge of the root namespace the test made) with a
    /// veth pair, and gives its end `address` (`198.18.20.11/24`).
    public func attach(bridge: String, address: String) throws {
        let serial = name.split(separator: "-").last.map(String.init) ?? "0"
        let outside = "rcv\(getpid() % 100_000)x\(serial)"
        let inside = "rcn\(serial)"
        try Self.check(
            CommandRunner.run(
                "/usr/sbin/ip", ["link", "add", outside, "type", "veth", "peer", "name", inside, "netns", name]))
        try Self.check(CommandRunner.run("/usr/sbin/ip", ["link", "set", outside, "master", bridge, "up"]))
        try Self.check(run(["ip", "addr", "add", address, "dev", inside]))
        try Self.check(run(["ip", "link", "set", inside, "up"]))
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

    static func check(_ result: CommandResult) throws {
        guard result.status == 0 else { throw TestSetupError(result.stderr) }
    }
}

/// A listener started in a namespace (`NetworkNamespace.serve`); `stop` ends it and waits until
/// its port no longer listens.
public final class NamespaceListener: @unchecked Sendable {
    private let command: RunningCommand
    private let namespace: NetworkNamespace
    private var stopped = false
    public let port: UInt16

    init(command: RunningCommand, namespace: NetworkNamespace, port: UInt16) {
        self.command = command
        self.namespace = namespace
        self.port = port
    }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        command.signal(SIGKILL)
        _ = try? command.finish(timeout: 5)
        for _ in 0..<100 {
            guard (try? namespace.run(["ss", "-Htln", "sport = :\(port)"]).stdout.contains("LISTEN")) == true else {
                return
            }
            usleep(20_000)
        }
    }

    deinit { stop() }
}
