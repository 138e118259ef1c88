import Foundation

/// One real PostgreSQL server for the whole test run (Debian's `postgresql` package), started on
/// first use with `initdb` and `pg_ctl` in a temporary folder, on a private port of 127.0.0.1,
/// with trust authentication for its own user `recon`, and stopped when the test process exits
/// (a watchdog stops it too if the process is killed). As root it runs as the `postgres` user.
///
/// As root it also listens on a bridge of its own (`fleetAddress`, in the benchmarking block
/// 198.18.0.0/15) that network-namespace tests attach veth pairs to, so that recon inside a
/// namespace reaches the server. Each test makes a database of its own (`makeDatabase`).
public final class TestPostgres: @unchecked Sendable {
    /// The PostgreSQL binaries, where installed.
    static let binaries: String? = {
        let root = "/usr/lib/postgresql"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let versions = names.compactMap { Int($0) }.sorted()
        guard let newest = versions.last else { return nil }
        let folder = root + "/" + String(newest) + "/bin"
        return FileManager.default.isExecutableFile(atPath: folder + "/initdb") ? folder : nil
    }()

    /// True where a server can be started (Debian's postgresql installed; as root, its user).
    public static var available: Bool {
        binaries != nil && (getuid() != 0 || getpwnam("postgres") != nil)
    }

    public let port: Int
    public let folder: String
    /// The bridge address the server also listens on (root only), and the bridge's name.
    public let fleetAddress: String?
    public let bridge: String?
    /// The first three octets of the bridge's /24, for namespace addresses (`PREFIX.11`...).
    public let fleetPrefix: String?
    private let runAs: [String]
    private let bin: String

    nonisolated(unsafe) private static var sharedServer: TestPostgres?
    nonisolated(unsafe) private static var startFailure: String?
    private static let lock = NSLock()
    private static let databases = NSLock()
    nonisolated(unsafe) private static var databaseCount = 0
    nonisolated(unsafe) private static var fleetCount = 0

    /// The server, started on first use.
    public static func shared() throws -> TestPostgres {
        try lock.withLock {
            if let sharedServer { return sharedServer }
            if let startFailure { throw TestSetupError(startFailure) }
            do {
                let server = try TestPostgres()
                sharedServer = server
                atexit { TestPostgres.stopShared() }
                return server
            } catch {
                startFailure = "\(error)"
                throw error
            }
        }
    }

    private init() throws {
        guard let bin = Self.binaries else { throw TestSetupError("PostgreSQL is not installed") }
        self.bin = bin
        let root = getuid() == 0
        runAs = root ? ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] : []
        folder = "/tmp/recon-pg-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if root { _ = try CommandRunner.run("/bin/chown", ["postgres:postgres", folder]) }
        port = Self.freePort()
        // A bridge for namespace tests, when they can run.
        if root && NetworkNamespace.available {
            // A /24 no interface uses yet: two test runs at once (two checkouts, CI beside a
            // developer) must not both route 198.18.X.0/24, or their namespaces reach the wrong
            // server and connects time out.
            let used = (try? CommandRunner.run("/usr/sbin/ip", ["-4", "-o", "addr", "show"]).stdout) ?? ""
            let serial =
                (0..<200).map { (Int(getpid()) + $0) % 200 + 20 }
                .first { !used.contains(" 198.18.\($0).") } ?? Int(getpid()) % 200 + 20
            let name = "rcpg\(getpid())"
            let prefix = "198.18.\(serial)"
            // A MAC address of its own: a bridge without one takes the lowest of its ports', so
            // every namespace attached or deleted by another test could change the server's MAC
            // under the namespaces' ARP caches, and their next connects time out.
            let mac = String(format: "02:72:63:%02x:%02x:%02x", (serial >> 8) & 0xFF, serial & 0xFF, getpid() & 0xFF)
            for command in [
                ["link", "add", name, "type", "bridge"], ["link", "set", name, "address", mac],
                ["addr", "add", "\(prefix).1/24", "dev", name], ["link", "set", name, "up"],
            ] {
                let result = try CommandRunner.run("/usr/sbin/ip", command)
                guard result.status == 0 else {
                    _ = try? CommandRunner.run("/usr/sbin/ip", ["link", "del", name])
                    throw TestSetupError("cannot make the test bridge: \(result.stderr)")
                }
            }
            (bridge, fleetAddress, fleetPrefix) = (name, "\(prefix).1", prefix)
        } else {
            (bridge, fleetAddress, fleetPrefix) = (nil, nil, nil)
        }
        let data = "\(folder)/data"
        try check(
            run(["\(bin)/initdb", "-D", data, "-U", "recon", "--auth=trust", "-E", "UTF8", "--no-sync"], timeout: 120),
            "initdb")
        if let fleetAddress {
            let rule = "host all all \(fleetAddress)/24 trust\n"
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(data)/pg_hba.conf"))
            handle.seekToEndOfFile()
            handle.write(Data(rule.utf8))
            try handle.close()
        }
        let listen = ["127.0.0.1"] + (fleetAddress.map { [$0] } ?? [])
        let options = [
            "-p \(port)", "-k \(folder)", "-c listen_addresses='\(listen.joined(separator: ","))'", "-c fsync=off",
            "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=50",
        ].joined(separator: " ")
        try check(
            run(
                ["\(bin)/pg_ctl", "-D", data, "-l", "\(folder)/server.log", "-w", "-t", "60", "-o", options, "start"],
                timeout: 90), "pg_ctl start")
        startWatchdog()
    }

    /// A new, empty database for one test; its name (`url(database:)` makes its URL).
    public func makeDatabase() throws -> String {
        let name = Self.databases.withLock {
            Self.databaseCount += 1
            return "recon_test_\(Self.databaseCount)"
        }
        try check(
            CommandRunner.run(
                "\(bin)/createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "recon", name], timeout: 60),
            "createdb")
        return name
    }

    /// A new address of the bridge's block for a namespace, with its prefix length (`198.18.20.11/24`).
    public func nextFleetAddress() throws -> String {
        guard let fleetPrefix else { throw TestSetupError("no test bridge (needs root, ip and iptables)") }
        let host = Self.databases.withLock {
            Self.fleetCount += 1
            return 10 + Self.fleetCount
        }
        guard host < 255 else { throw TestSetupError("the test bridge's block is used up") }
        return "\(fleetPrefix).\(host)/24"
    }

    /// `postgresql://recon@HOST:PORT/DATABASE`.
    public func url(database: String, host: String = "127.0.0.1") -> String {
        "postgresql://recon@\(host):\(port)/\(database)"
    }

    /// Runs SQL in `database` with psql; its output (unaligned, tuples only).
    public func psql(_ database: String, _ sql: String) throws -> String {
        let result = try CommandRunner.run(
            "/usr/bin/psql",
            [
                "-h", "127.0.0.1", "-p", String(port), "-U", "recon", "-d", database, "-At", "-v", "ON_ERROR_STOP=1",
                "-c", sql,
            ])
        try check(result, "psql")
        return result.stdout
    }

    /// Stops the shared server and removes its folder and bridge (at exit).
    static func stopShared() {
        guard let server = sharedServer else { return }
        sharedServer = nil
        server.stop()
    }

    private func stop() {
        _ = try? run(["\(bin)/pg_ctl", "-D", "\(folder)/data", "-m", "immediate", "-w", "stop"], timeout: 30)
        if let bridge { _ = try? CommandRunner.run("/usr/sbin/ip", ["link", "del", bridge]) }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Stops the server and cleans up if this process dies without running its exit handlers:
    /// a detached shell that checks once a second, for at most two hours.
    private func startWatchdog() {
        let stopCommand = (runAs + ["\(bin)/pg_ctl", "-D", "\(folder)/data", "-m", "immediate", "stop"])
            .joined(separator: " ")
        let bridgeCommand = bridge.map { "/usr/sbin/ip link del \($0) 2>/dev/null;" } ?? ""
        let script = """
            i=0; while [ $i -lt 7200 ] && kill -0 \(getpid()) 2>/dev/null; do sleep 1; i=$((i+1)); done
            \(stopCommand) >/dev/null 2>&1; \(bridgeCommand) rm -rf \(folder)
            """
        _ = try? CommandRunner.start("/usr/bin/setsid", ["/bin/sh", "-c", script])
    }

    private func run(_ command: [String], timeout: Double) throws -> CommandResult {
        let full = runAs + command
        return try CommandRunner.run(full[0], Array(full.dropFirst()), timeout: timeout)
    }

    private func check(_ result: CommandResult, _ what: String) throws {
        guard result.status == 0 else {
            let log = (try? String(contentsOfFile: "\(folder)/server.log", encoding: .utf8)) ?? ""
            throw TestSetupError(
                "\(what) failed (\(result.status)): \(result.stderr) \(result.stdout) \(log.suffix(500))")
        }
    }

    /// An ephemeral port of 127.0.0.1 that was free a moment ago.
    private static func freePort() -> Int {
        let socket = TestSocket(listening: false)
        return Int(socket.port)
    }
}
