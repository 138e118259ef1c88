import Foundation
import GRDB
import ReconCore

#if canImport(Glibc)
    import Glibc
#endif

/// The store in an SQLite file, through GRDB: WAL journal (readers never wait for a writer),
/// `synchronous = NORMAL`, writes in `BEGIN IMMEDIATE` transactions, and up to 10 s of waiting
/// for another writer. GRDB's synchronous calls run on the calling thread: a run's few
/// statements take a millisecond or two, and hopping to GRDB's queue and back cost more than
/// that on a busy machine.
final class SQLiteBackend: StoreBackend {
    let dialect = StoreDialect.sqlite
    private let queue: DatabaseQueue
    private let path: String

    /// Opens (creating it, mode 0600, and with `createsFolder` its folders, mode 0700) the file.
    init(path: String, createsFolder: Bool) throws(StoreError) {
        self.path = path
        if createsFolder { try Self.makeFolders(of: path) }
        // The file holds banners and findings: readable by its owner only.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(.unavailable, "cannot open the store \(path): \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.label = "recon store"
        // With WAL, NORMAL syncs at checkpoints, not at every commit: a power loss may lose the
        // last runs, never corrupt the file.
        configuration.prepareDatabase { database in try database.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw Self.failure(error, path: path)
        }
    }

    func write(_ statements: [SQLStatement]) async throws(StoreError) -> [StoreRow] {
        try writeHere(statements)
    }

    func read(_ statement: SQLStatement) async throws(StoreError) -> [StoreRow] {
        try readHere(statement)
    }

    func migrate(_ migrations: [StoreMigration]) async throws(StoreError) {
        try migrateHere(migrations)
    }

    // GRDB's synchronous API, called from synchronous functions (an async caller would get the
    // async overloads, which hop threads).

    private func writeHere(_ statements: [SQLStatement]) throws(StoreError) -> [StoreRow] {
        do {
            return try queue.writeWithoutTransaction { database in
                var rows: [StoreRow] = []
                try database.inTransaction(.immediate) {
                    for statement in statements { rows = try Self.run(statement, in: database) }
                    return .commit
                }
                return rows
            }
        } catch {
            throw Self.failure(error, path: path)
        }
    }

    private func readHere(_ statement: SQLStatement) throws(StoreError) -> [StoreRow] {
        do {
            return try queue.read { database in try Self.run(statement, in: database) }
        } catch {
            throw Self.failure(error, path: path)
        }
    }

    private func migrateHere(_ migrations: [StoreMigration]) throws(StoreError) {
        let path = self.path
        do {
            try queue.writeWithoutTransaction { database in
                try database.inTransaction(.immediate) {
                    try database.execute(sql: StoreSchema.versionTable)
                    let current = try Int.fetchOne(database, sql: "SELECT max(version) FROM recon_schema") ?? 0
                    if let problem = StoreSchema.problem(withVersion: current, location: path) { throw problem }
                    for migration in migrations where migration.version > current {
                        for statement in migration.statements {
                            try database.execute(sql: StoreDialect.sqlite.translate(statement))
                        }
                        try database.execute(
                            sql: "INSERT INTO recon_schema (version, name, applied) VALUES (?, ?, ?)",
                            arguments: [migration.version, migration.name, Timestamp.rfc3339(Timestamp.now())])
                    }
                    return .commit
                }
            }
        } catch {
            throw Self.failure(error, path: path)
        }
    }

    func close() async {
        try? queue.close()
    }

    private static func run(_ statement: SQLStatement, in database: Database) throws -> [StoreRow] {
        let arguments = StatementArguments(statement.arguments.map(Self.databaseValue))
        let rows = try Row.fetchAll(database, sql: statement.sql, arguments: arguments)
        return rows.map { row in
            StoreRow(
                values: row.databaseValues.map { value in
                    switch value.storage {
                    case .null: return .null
                    case .int64(let integer): return .integer(integer)
                    case .double(let real): return .real(real)
                    case .string(let text): return .text(text)
                    case .blob(let data): return .blob(Array(data))
                    }
                })
        }
    }

    private static func databaseValue(_ value: StoreValue) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .integer(let integer): return integer.databaseValue
        case .real(let real): return real.databaseValue
        case .text(let text): return text.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        }
    }

    private static func failure(_ error: any Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            return StoreError(.unavailable, "store \(path): \(error.message ?? "SQLite error \(error.resultCode)")")
        }
        return StoreError(.unavailable, "store \(path): \(error)")
    }

    private static func makeFolders(of path: String) throws(StoreError) {
        var folder = ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        for part in parts {
            folder += (folder.isEmpty && !path.hasPrefix("/") ? "" : "/") + part
            if mkdir(folder, 0o700) != 0 && errno != EEXIST {
                throw StoreError(
                    .unavailable, "cannot create the store's folder \(folder): \(String(cString: strerror(errno)))")
            }
        }
    }
}
