import Foundation
import ReconCore
import ReconTestSupport
import Testing

@testable import ReconStore

/// The store on real databases: SQLite files in temporary folders and the test run's PostgreSQL
/// server (`TestPostgres`, a database per test). No mocks.
@Suite("Scan store")
struct StoreTests {
    /// The golden report (two hosts; open, closed, filtered, error ports; banner, HTTP, TLS,
    /// findings; interrupted), with a handshake and a binary, truncated banner added.
    static func sampleReport() throws -> ScanReport {
        let data = try Data(contentsOf: URL(fileURLWithPath: CommandRunner.path("Tests/golden/report.json")))
        var report = try JSONDecoder().decode(ScanReport.self, from: data)
        report.hosts[0].ports[0].handshake = Handshake(
            packets: [
                HandshakePacket(
                    timeMicroseconds: 0, direction: .outbound, flags: "S", window: 65495, ttl: 64, length: 0),
                HandshakePacket(
                    timeMicroseconds: 31, direction: .inbound, flags: "S.", window: 65483, ttl: 64, length: 0),
            ], wireRttMicroseconds: 31, synRetransmissions: 0, wireReason: .synAck, compact: "S SA")
        report.hosts[0].ports[3].banner = CapturedBytes([0, 0xFF, 0x1B, 0x0D, 0x0A, 0x80], truncated: true)
        return report
    }

    static func temporaryStore() -> StoreLocation {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recon-store-\(UUID().uuidString)")
        return .sqlite(path: folder.appendingPathComponent("recon.sqlite").path, createsFolder: true)
    }

    static func postgresStore() throws -> StoreLocation {
        let server = try TestPostgres.shared()
        return try StoreLocation(server.url(database: server.makeDatabase()), environment: [:])
    }

    /// Saves `report` as a run of `targets` (begin, then finish) and returns its id.
    @discardableResult
    static func save(_ report: ScanReport, in store: ScanStore, scanner: String = "host-a") async throws -> Int64 {
        let policy = ScopePolicy.embeddedDefault(interfaceAddresses: [])
        let targets = try policy.authorize(
            report.hosts.map {
                ResolvedTarget(spec: $0.address, hostname: $0.hostname, addresses: [IPAddress($0.address)!])
            })
        let id = try await store.beginRun(report.run, targets: targets, command: "audit", scanner: scanner)
        try await store.finishRun(id, report: report)
        return id
    }

    func roundTrip(_ location: StoreLocation) async throws {
        let report = try Self.sampleReport()
        let store = try await ScanStore.open(location)
        let id = try await Self.save(report, in: store)
        let (read, scanner) = try await store.report(run: id)
        #expect(scanner == "host-a")
        #expect(read == report)
        #expect(read.hosts[0].ports[3].banner?.bytes == [0, 0xFF, 0x1B, 0x0D, 0x0A, 0x80])
        let history = try await store.history()
        #expect(history.count == 1)
        #expect(history[0].status == "interrupted" && history[0].interruptedBy == "SIGINT")
        #expect(history[0].findings == 2 && history[0].summary == report.summary)
        await store.close()
    }

    @Test func sqliteKeepsTheWholeReport() async throws {
        try await roundTrip(Self.temporaryStore())
    }

    @Test(.enabled(if: TestPostgres.available, "needs Debian's postgresql"))
    func postgresKeepsTheWholeReport() async throws {
        try await roundTrip(try Self.postgresStore())
    }

    @Test func theDefaultFileIsMadePrivateOnFirstUse() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("recon-xdg-\(UUID().uuidString)").path
        let location = try StoreLocation(nil, environment: ["XDG_DATA_HOME": home, "HOME": "/nonexistent"])
        #expect(location == .sqlite(path: "\(home)/recon/recon.sqlite", createsFolder: true))
        #expect(
            try StoreLocation(nil, environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/u"])
                == .sqlite(path: "/home/u/.local/share/recon/recon.sqlite", createsFolder: true))
        let store = try await ScanStore.open(location)
        await store.close()
        let folder = try FileManager.default.attributesOfItem(atPath: "\(home)/recon")
        let file = try FileManager.default.attributesOfItem(atPath: "\(home)/recon/recon.sqlite")
        #expect((folder[.posixPermissions] as? Int) == 0o700)
        #expect((file[.posixPermissions] as? Int) == 0o600)
        try? FileManager.default.removeItem(atPath: home)
    }

    @Test func migrationsRunOnceAndANewerSchemaIsRefused() async throws {
        let location = Self.temporaryStore()
        for _ in 0..<3 { await (try await ScanStore.open(location)).close() }
        let store = try await ScanStore.open(location)
        let versions = try await store.backend.read(SQLStatement("SELECT version FROM recon_schema"))
        #expect(versions.map { $0.integer(0) } == [1])
        _ = try await store.backend.write([
            SQLStatement("INSERT INTO recon_schema (version, name, applied) VALUES (99, 'future', 'x')")
        ])
        await store.close()
        await #expect {
            try await ScanStore.open(location)
        } throws: { error in
            (error as? StoreError)?.kind == .unavailable
                && (error as? StoreError)?.description.contains("schema version 99, newer than this recon") == true
        }
    }

    @Test func historyIsNewestFirstAndFiltersByTarget() async throws {
        let store = try await ScanStore.open(Self.temporaryStore())
        var report = try Self.sampleReport()
        let first = try await Self.save(report, in: store)
        report.hosts = [report.hosts[1]]  // ::1 only
        report.run.complete = true
        let second = try await Self.save(report, in: store, scanner: "host-b")
        #expect(try await store.history().map(\.id) == [second, first])
        #expect(try await store.history(targets: ["127.0.0.1"]).map(\.id) == [first])
        #expect(try await store.history(targets: ["127.0.0.0/8"]).map(\.id) == [first])
        #expect(try await store.history(targets: ["::1"]).map(\.id) == [second, first])
        #expect(try await store.history(targets: ["localhost"]).map(\.id) == [first])
        #expect(try await store.history(limit: 1).map(\.id) == [second])
        #expect(try await store.history()[0].scanner == "host-b")
        await store.close()
    }

    @Test func diffWithoutOperandsTakesTheLastTwoCompleteRunsOfOneScannerAndTargets() async throws {
        let store = try await ScanStore.open(Self.temporaryStore())
        var report = try Self.sampleReport()
        report.run.complete = true
        let a = try await Self.save(report, in: store)
        _ = try await Self.save(report, in: store, scanner: "host-b")
        var incomplete = report
        incomplete.run.complete = false
        _ = try await Self.save(incomplete, in: store)
        var other = report
        other.hosts = [report.hosts[0]]
        _ = try await Self.save(other, in: store, scanner: "host-b")
        let b = try await Self.save(report, in: store)
        let pair = try await store.lastTwoComparableRuns()
        #expect(pair.old == a && pair.new == b)
        await store.close()
    }

    @Test func concurrentSQLiteWritersLoseNothing() async throws {
        let location = Self.temporaryStore()
        let report = try Self.sampleReport()
        let ids = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for writer in 0..<4 {
                group.addTask {
                    let store = try await ScanStore.open(location)
                    var ids: [Int64] = []
                    for _ in 0..<10 { ids.append(try await Self.save(report, in: store, scanner: "w\(writer)")) }
                    await store.close()
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 40)
        let store = try await ScanStore.open(location)
        #expect(try await store.history().count == 40)
        let ports = try await store.backend.read(SQLStatement("SELECT count(*) FROM ports"))
        #expect(ports.first?.integer(0) == Int64(40 * report.hosts.map(\.ports.count).reduce(0, +)))
        await store.close()
    }

    @Test(.enabled(if: TestPostgres.available, "needs Debian's postgresql"))
    func postgresWritersStartingAtOnceMigrateOnce() async throws {
        let location = try Self.postgresStore()
        let report = try Self.sampleReport()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<3 {
                group.addTask {
                    let store = try await ScanStore.open(location)
                    for _ in 0..<5 { try await Self.save(report, in: store, scanner: "w\(writer)") }
                    await store.close()
                }
            }
            try await group.waitForAll()
        }
        let store = try await ScanStore.open(location)
        #expect(try await store.history().count == 15)
        let versions = try await store.backend.read(SQLStatement("SELECT version FROM recon_schema"))
        #expect(versions.map { $0.integer(0) } == [1])
        await store.close()
    }

    @Test func unreachableStoresFailWithOneLine() async throws {
        // Port 1 of 127.0.0.1: nothing listens there (tests never run as a service on it).
        let location = try StoreLocation("postgresql://recon@127.0.0.1:1/recon", environment: [:])
        await #expect {
            try await ScanStore.open(location)
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.kind == .unavailable
                && error.description
                    == "cannot reach the store postgresql://recon@127.0.0.1:1/recon: Connection refused"
        }
        await #expect {
            try await ScanStore.open(.sqlite(path: "/nonexistent-folder/recon.sqlite", createsFolder: false))
        } throws: { error in
            (error as? StoreError)?.description
                == "cannot open the store /nonexistent-folder/recon.sqlite: No such file or directory"
        }
    }

    @Test func locationsAndPasswords() throws {
        let env = ["PGUSER": "scanner", "PGPASSWORD": "from-env"]
        let plain = try PostgresLocation(url: "postgresql://db.example:6543", environment: env)
        #expect(plain.user == "scanner" && plain.database == "scanner" && plain.port == 6543)
        #expect(plain.password == "from-env" && plain.tls == .prefer && plain.connectTimeout == 5)
        let full = try PostgresLocation(
            url: "postgres://alice:p%40ss@[::1]:5433/scans?sslmode=require&connect_timeout=2", environment: [:])
        #expect(full.host == "::1" && full.port == 5433 && full.user == "alice" && full.password == "p@ss")
        #expect(full.database == "scans" && full.tls == .require && full.connectTimeout == 2)
        #expect(full.description == "postgresql://alice@[::1]:5433/scans")
        for bad in [
            "postgresql://", "postgresql://h:0/db", "postgresql://h/db?sslmode=maybe", "postgresql://h/db?x=1",
            "postgresql://u%zz@h/db",
        ] {
            #expect(throws: StoreError.self, "\(bad)") { try StoreLocation(bad, environment: [:]) }
        }
        #expect(throws: StoreError.self) { try StoreLocation("mysql://h/db", environment: [:]) }
        #expect(
            StoreLocation.redactingPasswords([
                "--db", "postgresql://u:secret@h:1/d", "--db=postgres://u:x@h/d", "a:b@c",
            ])
                == ["--db", "postgresql://u:***@h:1/d", "--db=postgres://u:***@h/d", "a:b@c"])
    }
}

/// `recon history` on a store of 1,000 runs: the runs table carries what the listing shows
/// (counts, targets, status), so it is one query without joins.
@Suite("Store history speed")
struct StoreHistorySpeedTests {
    @Test func historyOfAThousandRunsAnswersQuickly() async throws {
        let location = StoreTests.temporaryStore()
        let store = try await ScanStore.open(location)
        var report = try StoreTests.sampleReport()
        report.run.complete = true
        for index in 0..<1000 {
            try await StoreTests.save(report, in: store, scanner: "host-\(index % 7)")
        }
        await store.close()
        guard case .sqlite(let path, _) = location else { return }
        var times: [Double] = []
        for _ in 0..<5 {
            let start = Date()
            let result = try CommandRunner.recon(["history", "--db", path])
            times.append(Date().timeIntervalSince(start))
            #expect(result.status == 0)
            #expect(result.lines.count == 1001)
        }
        let median = times.sorted()[2]
        // Measured (README): about 30 ms with the release binary. The debug binary on a shared
        // machine running the other tests in parallel gets a generous bound.
        #expect(median < 0.5, "recon history took \(median) s (median of 5) on 1,000 runs")
        print("recon history, 1000 runs: \(times.map { String(format: "%.3f", $0) }) s")
    }
}
