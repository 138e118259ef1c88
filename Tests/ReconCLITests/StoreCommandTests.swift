import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// `--save`, `recon history` and `recon diff` end to end, on SQLite files and on the test run's
/// PostgreSQL server, with scans inside private network namespaces.
@Suite("Store, history and diff, end to end")
struct StoreCommandTests {
    static let diffSchema = "schema/recon-diff-v1.schema.json"

    /// A new temporary folder, removed by the caller.
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recon-store-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func diffDocument(_ result: CommandResult) throws -> ScanDiff {
        try JSONDecoder().decode(ScanDiff.self, from: Data(result.stdout.utf8))
    }

    /// The changes as short lines, to compare diffs of the same scans whatever their source.
    static func summary(_ diff: ScanDiff) -> [String] {
        diff.changes.map { change in
            let fields = (change.fields ?? []).map { "\($0.field)=\($0.old?.text ?? "-")>\($0.new?.text ?? "-")" }
            return "\(change.kind.rawValue) \(change.host):\(change.port) \(fields.joined(separator: ","))"
        }
    }

    /// Two saved scans in a namespace around a change (a port closed, a port opened, a service's
    /// version changed, one port unchanged), into SQLite and, where it runs, PostgreSQL: exactly
    /// those three changes from the store and from the report files, exit 7; identical inputs 0.
    @Test(.enabled(if: NetworkNamespace.available, "needs root, ip and iptables"))
    func diffFindsExactlyTheChangesFromStoreAndFiles() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let namespace = try NetworkNamespace()
        let sqlite = "\(folder)/recon.sqlite"
        var postgres: (server: TestPostgres, database: String, inside: String)?
        if TestPostgres.available {
            let server = try TestPostgres.shared()
            let database = try server.makeDatabase()
            try namespace.attach(bridge: try #require(server.bridge), address: try server.nextFleetAddress())
            postgres = (server, database, server.url(database: database, host: try #require(server.fleetAddress)))
        }
        var closing: NamespaceListener? = try namespace.serve(port: 2001, banner: "")
        let unchanged = try namespace.serve(port: 2002, banner: "SSH-2.0-OpenSSH_9.2p1\\r\\n")
        var versioned = try namespace.serve(port: 2003, banner: "SSH-2.0-OpenSSH_8.9p1\\r\\n")
        func scan(_ name: String) throws {
            var stores = [("", sqlite)]
            if let postgres { stores.append(("-pg", postgres.inside)) }
            for (suffix, store) in stores {
                let result = try namespace.recon([
                    "scan", "--banner", "--banner-timeout", "1s", "127.0.0.1", "2000-2010", "--save", "--db", store,
                    "--format", "json", "-o", "\(folder)/\(name)\(suffix).json",
                ])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("recon: saved as run "), "\(result.stderr)")
            }
        }
        try scan("a")
        closing?.stop()
        closing = nil
        versioned.stop()
        versioned = try namespace.serve(port: 2003, banner: "SSH-2.0-OpenSSH_9.3p1\\r\\n")
        let opened = try namespace.serve(port: 2004, banner: "")
        try scan("b")
        _ = (unchanged, opened)

        let expected = [
            "port-closed 127.0.0.1:2001 ",
            "service-changed 127.0.0.1:2003 version=8.9p1>9.3p1,banner=SSH-2.0-OpenSSH_8.9p1\\r\\n>SSH-2.0-OpenSSH_9.3p1\\r\\n",
            "port-opened 127.0.0.1:2004 ",
        ]
        // From the store (the last two complete runs), and from the two report files.
        let stored = try CommandRunner.recon(["diff", "--db", sqlite, "--format", "json"])
        #expect(stored.status == 7, "\(stored.stderr)")
        #expect(try CommandRunner.schemaViolation(json: stored.stdout, schema: Self.diffSchema) == nil)
        let storedDiff = try Self.diffDocument(stored)
        #expect(Self.summary(storedDiff) == expected)
        #expect(storedDiff.old.run == 1 && storedDiff.new.run == 2 && storedDiff.notCompared.isEmpty)
        let files = try CommandRunner.recon(["diff", "\(folder)/a.json", "\(folder)/b.json", "--format", "json"])
        #expect(files.status == 7)
        #expect(try Self.diffDocument(files).changes == storedDiff.changes)
        // Mixed operands, JSON Lines, the table.
        let lines = try CommandRunner.recon(["diff", "--db", sqlite, "1", "\(folder)/b.json", "--format", "jsonl"])
        #expect(lines.status == 7)
        #expect(lines.lines.count == 5)
        for (line, definition) in zip(lines.lines, ["startRecord", "changeRecord", "changeRecord", "changeRecord"]) {
            #expect(
                try CommandRunner.schemaViolation(json: line, definition: definition, schema: Self.diffSchema) == nil)
        }
        let table = try CommandRunner.recon(["diff", "--db", sqlite])
        #expect(table.stdout.contains("-2001/tcp   closed (conn-refused), was open"), "\(table.stdout)")
        #expect(table.stdout.contains("+2004/tcp   open (syn-ack)"))
        #expect(table.stdout.contains("~2003/tcp   version 8.9p1 -> 9.3p1; banner"))
        #expect(table.stdout.hasSuffix("3 changes: 1 opened, 1 closed, 1 service changed\n"))
        // Identical inputs.
        #expect(try CommandRunner.recon(["diff", "\(folder)/a.json", "\(folder)/a.json"]).status == 0)
        let same = try CommandRunner.recon(["diff", "--db", sqlite, "2", "\(folder)/b.json"])
        #expect(same.status == 0, "\(same.stdout)")
        #expect(same.stdout.hasSuffix("No changes.\n"))

        guard let postgres else { return }
        // The same scans stored in PostgreSQL: the same history and diff.
        let url = postgres.server.url(database: postgres.database)
        let pgDiff = try CommandRunner.recon(["diff", "--db", url, "--format", "json"])
        #expect(pgDiff.status == 7, "\(pgDiff.stderr)")
        #expect(Self.summary(try Self.diffDocument(pgDiff)) == expected)
        let pgFiles = try CommandRunner.recon([
            "diff", "\(folder)/a-pg.json", "\(folder)/b-pg.json", "--format", "json",
        ])
        #expect(Self.summary(try Self.diffDocument(pgFiles)) == expected)
        func history(_ store: String) throws -> [String] {
            let result = try CommandRunner.recon(["history", "--db", store, "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let runs = try Self.runs(result)
            return try runs.map { run in
                let summary = try #require(run["summary"] as? [String: Int]).sorted { $0.key < $1.key }
                let targets = try #require(run["targets"] as? [String])
                return "\(run["id"]!) \(run["status"]!) \(targets) \(run["ports"]!) \(summary)"
            }
        }
        #expect(try history(url) == history(sqlite))
        #expect(try history(url).count == 2)
    }

    /// A fleet: three namespaces, each with its own listeners, each scanning its own loopback at
    /// the same time and saving into one PostgreSQL database over its own veth; then history
    /// shows the three hosts, nothing is lost, and a diff between two runs of one of them is right.
    @Test(.enabled(if: NetworkNamespace.available && TestPostgres.available, "needs root, ip and postgresql"))
    func aFleetOfThreeHostsReportsIntoOneDatabase() throws {
        let server = try TestPostgres.shared()
        let database = try server.makeDatabase()
        let inside = server.url(database: database, host: try #require(server.fleetAddress))
        let hosts = try (0..<3).map { _ in try NetworkNamespace() }
        var listeners: [[NamespaceListener]] = []
        for (index, host) in hosts.enumerated() {
            try host.attach(bridge: try #require(server.bridge), address: try server.nextFleetAddress())
            listeners.append(try (0...index).map { try host.serve(port: UInt16(3001 + $0), banner: "") })
        }
        func round() throws {
            let scans = try hosts.enumerated().map { index, host in
                try CommandRunner.start(
                    "/usr/sbin/ip",
                    [
                        "netns", "exec", host.name, "unshare", "--uts", "/bin/sh", "-c",
                        "hostname fleet-\(index) && exec \"$0\" \"$@\"", CommandRunner.reconBinary, "scan", "127.0.0.1",
                        "3000-3010", "--save", "--db", inside, "--format", "json",
                    ])
            }
            for scan in scans {
                let result = try scan.finish(timeout: 60)
                #expect(result.status == 0, "\(result.stderr)")
            }
        }
        try round()
        // Host 1 changes: 3002 closes, 3005 opens.
        listeners[1][1].stop()
        listeners[1].append(try hosts[1].serve(port: 3005, banner: ""))
        try round()

        let url = server.url(database: database)
        let history = try CommandRunner.recon(["history", "--db", url, "--format", "json"])
        #expect(history.status == 0, "\(history.stderr)")
        let runs = try Self.runs(history)
        #expect(runs.count == 6)
        let byScanner = Dictionary(grouping: runs) { $0["scanner"] as? String ?? "" }
        #expect(Set(byScanner.keys) == ["fleet-0", "fleet-1", "fleet-2"])
        for (scanner, runs) in byScanner {
            let open = runs.map { ($0["summary"] as? [String: Int])?["open"] ?? -1 }
            let expected = Int(scanner.suffix(1))! + 1
            #expect(open == [expected, expected], "\(scanner)")
            #expect(runs.allSatisfy { $0["status"] as? String == "complete" })
        }
        // Nothing lost: every open port of every run is a row.
        #expect(
            try server.psql(database, "SELECT count(*) FROM ports").trimmingCharacters(in: .whitespacesAndNewlines)
                == "12")
        let table = try CommandRunner.recon(["history", "--db", url])
        #expect(table.stdout.split(separator: "\n").count == 7)
        #expect(table.stdout.contains("fleet-2"))
        // Host 1's two runs differ by exactly its change.
        let ids = try #require(byScanner["fleet-1"]).compactMap { $0["id"] as? Int }.sorted()
        let diff = try CommandRunner.recon(["diff", "--db", url, String(ids[0]), String(ids[1]), "--format", "json"])
        #expect(diff.status == 7, "\(diff.stderr)")
        #expect(
            Self.summary(try Self.diffDocument(diff)) == ["port-closed 127.0.0.1:3002 ", "port-opened 127.0.0.1:3005 "])
        let other = try #require(byScanner["fleet-2"]).compactMap { $0["id"] as? Int }.sorted()
        #expect(try CommandRunner.recon(["diff", "--db", url, String(other[0]), String(other[1])]).status == 0)
    }

    /// `--baseline`: exit 0 when the findings equal the baseline's, 6 when a new disclosure
    /// appears; JSON, table and SARIF say which findings are new, known and gone; a stored run
    /// serves as baseline too.
    @Test func baselineFailsOnlyOnNewDisclosures() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let services = try HostileServices(["banner", "proftpd", "exim"])
        let two = services.portList(["banner", "proftpd"])
        let three = services.portList(["banner", "proftpd", "exim"])
        let base = "\(folder)/base.json"
        let first = try CommandRunner.recon(["audit", "127.0.0.1", two, "--format", "json", "-o", base])
        #expect(first.status == 6, "\(first.stderr)")

        let same = try CommandRunner.recon(["audit", "127.0.0.1", two, "--baseline", base, "--format", "json"])
        #expect(same.status == 0, "\(same.stderr)")
        #expect(try CommandRunner.schemaViolation(json: same.stdout) == nil)
        let sameReport = try same.report()
        #expect(sameReport.findings?.allSatisfy { $0.baselineState == .unchanged } == true)
        #expect(sameReport.audit?.baseline?.unchanged == sameReport.findings?.count)
        #expect(sameReport.audit?.failing == 0)

        let more = try CommandRunner.recon(["audit", "127.0.0.1", three, "--baseline", base, "--format", "sarif"])
        #expect(more.status == 6)
        #expect(try CommandRunner.sarifViolation(json: more.stdout) == nil)
        let states = try Self.sarifStates(more.stdout)
        #expect(states["exim-version"] == "new")
        #expect(states["openssh-distribution"] == "unchanged" && states["proftpd-version"] == "unchanged")

        let fewer = try CommandRunner.recon([
            "audit", "127.0.0.1", services.portList(["banner"]), "--baseline", base, "--format", "sarif",
        ])
        #expect(fewer.status == 0)
        #expect(try CommandRunner.sarifViolation(json: fewer.stdout) == nil)
        #expect(try Self.sarifStates(fewer.stdout)["proftpd-version"] == "absent")

        let table = try CommandRunner.recon(["audit", "127.0.0.1", three, "--baseline", base])
        #expect(table.status == 6)
        #expect(table.stdout.contains("baseline \(base): 1 new, 2 known, 0 gone"), "\(table.stdout)")
        #expect(table.stdout.contains("[known: in the baseline]") && table.stdout.contains("[new]"))

        // A stored run as the baseline.
        let store = "\(folder)/recon.sqlite"
        let saved = try CommandRunner.recon(["audit", "127.0.0.1", two, "--save", "--db", store, "--format", "json"])
        #expect(saved.status == 6 && saved.stderr.contains("saved as run 1"), "\(saved.stderr)")
        #expect(try CommandRunner.recon(["audit", "127.0.0.1", two, "--baseline", "1", "--db", store]).status == 0)
        let newer = try CommandRunner.recon([
            "audit", "127.0.0.1", three, "--baseline", "1", "--db", store, "--format", "json",
        ])
        #expect(newer.status == 6)
        #expect(try newer.report().findings?.first { $0.rule == "exim-version" }?.baselineState == .new)
        #expect(try newer.report().audit?.baseline?.source == "run 1")
        // Baselines that cannot serve.
        let noAudit = try CommandRunner.recon([
            "scan", "127.0.0.1", two, "--format", "json", "-o", "\(folder)/scan.json",
        ])
        #expect(noAudit.status == 0)
        let refused = try CommandRunner.recon(["audit", "127.0.0.1", two, "--baseline", "\(folder)/scan.json"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("holds no audit"), "\(refused.stderr)")
        #expect(try CommandRunner.recon(["audit", "127.0.0.1", two, "--baseline", "7", "--db", store]).status == 2)
    }

    /// The runs of `recon history --format json` output.
    static func runs(_ result: CommandResult) throws -> [[String: Any]] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(document["runs"] as? [[String: Any]])
    }

    /// `ruleId` to `baselineState` of a SARIF log's results.
    static func sarifStates(_ json: String) throws -> [String: String] {
        let log = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let runs = try #require(log["runs"] as? [[String: Any]])
        let results = try #require(runs.first?["results"] as? [[String: Any]])
        return Dictionary(
            results.map { ($0["ruleId"] as? String ?? "", $0["baselineState"] as? String ?? "none") },
            uniquingKeysWith: { first, _ in first })
    }

    @Test func anUnreachableStoreRefusesTheRunBeforeAnythingIsWritten() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = "\(folder)/out.json"
        try "keep me".write(toFile: output, atomically: true, encoding: .utf8)
        let result = try CommandRunner.recon([
            "scan", "127.0.0.1", "80", "--save", "--db", "postgresql://recon@127.0.0.1:1/recon", "-o", output,
        ])
        #expect(result.status == 8)
        #expect(
            result.stderr == "recon: cannot reach the store postgresql://recon@127.0.0.1:1/recon: Connection refused\n")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep me")
        let missing = try CommandRunner.recon(["history", "--db", "\(folder)/none.sqlite"])
        #expect(missing.status == 8)
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/none.sqlite"))
    }

    @Test func theDefaultStoreIsUnderXDGDataHome() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let listener = TestSocket()
        let environment = ["/usr/bin/env", "XDG_DATA_HOME=\(folder)", CommandRunner.reconBinary]
        let scan = try CommandRunner.run(
            environment[0],
            Array(environment.dropFirst()) + [
                "scan", "127.0.0.1", String(listener.port), "--save",
            ])
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(scan.stderr == "recon: saved as run 1 in \(folder)/recon/recon.sqlite\n")
        let history = try CommandRunner.run(environment[0], Array(environment.dropFirst()) + ["history"])
        #expect(history.status == 0)
        #expect(history.lines.count == 2 && history.lines[1].hasPrefix("1 "), "\(history.stdout)")
        #expect(history.stdout.contains("127.0.0.1  \(listener.port)"))
    }

    @Test func anInterruptedScanIsStoredIncomplete() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = "\(folder)/recon.sqlite"
        let scan = try CommandRunner.start(
            CommandRunner.reconBinary, ["scan", "127.0.0.1", "-", "--rate", "2000", "--save", "--db", store])
        usleep(600_000)
        scan.signal(SIGINT)
        let result = try scan.finish(timeout: 10)
        #expect(result.status == 130, "\(result.stderr)")
        let history = try CommandRunner.recon(["history", "--db", store, "--format", "json"])
        let runs = try Self.runs(history)
        #expect(runs.first?["status"] as? String == "interrupted")
        #expect(runs.first?["interrupted_by"] as? String == "SIGINT")
        let unscanned = (runs.first?["summary"] as? [String: Int])?["unscanned"] ?? 0
        #expect(unscanned > 0 && unscanned < 65535)
        #expect(try CommandRunner.recon(["diff", "--db", store]).status == 2, "no complete run to compare")
    }

    @Test func diffRefusesBadOperands() throws {
        let cases: [([String], String)] = [
            (["diff", "only-one.json"], "recon diff takes two operands"),
            (["diff", "/nonexistent/a.json", "/nonexistent/b.json"], "/nonexistent/a.json: cannot read"),
            (["diff", "--db", "mysql://h/db", "1", "2"], "--db takes a file path or postgresql://"),
        ]
        for (arguments, message) in cases {
            let result = try CommandRunner.recon(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
        // nmap XML is read (NmapXMLDiffTests), but an nmaprun that scanned no TCP ports compares nothing.
        try withTemporaryFile("<?xml version=\"1.0\"?>\n<nmaprun/>\n", suffix: ".xml") { xml in
            let result = try CommandRunner.recon(["diff", xml, xml])
            #expect(result.status == 2)
            #expect(result.stderr.contains("no TCP port scan in it"), "\(result.stderr)")
        }
        try withTemporaryFile("scan of 127.0.0.1\n", suffix: ".txt") { text in
            let result = try CommandRunner.recon(["diff", text, text])
            #expect(result.status == 2)
            #expect(
                result.stderr.hasSuffix(
                    ": not a recon JSON report (recon-scan/1 or recon-scan/2) or nmap XML (<nmaprun>)\n"),
                "\(result.stderr)")
        }
    }

    @Test(.enabled(if: TestPostgres.available, "needs Debian's postgresql"))
    func passwordsInTheStoreURLAreNeverWrittenDown() throws {
        let server = try TestPostgres.shared()
        let database = try server.makeDatabase()
        let listener = TestSocket()
        let url = "postgresql://recon:hunter2@127.0.0.1:\(server.port)/\(database)"
        let result = try CommandRunner.recon([
            "scan", "127.0.0.1", String(listener.port), "--save", "--db", url, "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("hunter2") && !result.stderr.contains("hunter2"))
        #expect(
            try result.report().run.arguments.contains("postgresql://recon:***@127.0.0.1:\(server.port)/\(database)"))
        #expect(!(try server.psql(database, "SELECT run_json FROM runs").contains("hunter2")))
    }
}
