import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import ReconCore

#if canImport(Glibc)
    import Glibc
#endif

/// The store in a PostgreSQL database, through PostgresNIO: one connection, statements sent with
/// bound parameters, writes between `BEGIN` and `COMMIT`, migrations under an advisory lock
/// (several hosts may start writing into a new database at once).
final class PostgresBackend: StoreBackend {
    let dialect = StoreDialect.postgres
    private let connection: PostgresConnection
    private let location: PostgresLocation
    private let logger = Logger(label: "recon.store", factory: { _ in SwiftLogNoOpLogHandler() })
    /// The advisory lock taken while migrating ("recon" in ASCII).
    private static let migrationLock: Int64 = 0x7265_636F_6E

    /// Connects (within `location.connectTimeout`); throws `unavailable` with one line saying why.
    init(_ location: PostgresLocation) async throws(StoreError) {
        self.location = location
        var configuration: PostgresConnection.Configuration
        do {
            configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: try Self.tls(location.tls))
        } catch {
            throw StoreError(.unavailable, "cannot set up TLS for \(location): \(error)")
        }
        configuration.options.connectTimeout = .seconds(Int64(location.connectTimeout))
        do {
            connection = try await PostgresConnection.connect(
                configuration: configuration, id: 1,
                logger: Logger(
                    label: "recon.store",
                    factory: { _ in
                        SwiftLogNoOpLogHandler()
                    }))
        } catch {
            throw StoreError(.unavailable, "cannot reach the store \(location): \(Self.describe(error))")
        }
    }

    func write(_ statements: [SQLStatement]) async throws(StoreError) -> [StoreRow] {
        do {
            try await connection.query("BEGIN", logger: logger)
            do {
                var rows: [StoreRow] = []
                for statement in statements { rows = try await run(statement) }
                try await connection.query("COMMIT", logger: logger)
                return rows
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        } catch {
            throw failure(error)
        }
    }

    func read(_ statement: SQLStatement) async throws(StoreError) -> [StoreRow] {
        do {
            return try await run(statement)
        } catch {
            throw failure(error)
        }
    }

    func migrate(_ migrations: [StoreMigration]) async throws(StoreError) {
        do {
            try await connection.query("BEGIN", logger: logger)
            do {
                _ = try await run(SQLStatement("SELECT pg_advisory_xact_lock(?)", [.integer(Self.migrationLock)]))
                _ = try await run(SQLStatement(StoreSchema.versionTable))
                let rows = try await run(SQLStatement("SELECT coalesce(max(version), 0) FROM recon_schema"))
                let current = Int(rows.first?.integer(0) ?? 0)
                if let problem = StoreSchema.problem(withVersion: current, location: location.description) {
                    throw problem
                }
                for migration in migrations where migration.version > current {
                    for statement in migration.statements {
                        _ = try await run(SQLStatement(StoreDialect.postgres.translate(statement)))
                    }
                    _ = try await run(
                        SQLStatement(
                            "INSERT INTO recon_schema (version, name, applied) VALUES (?, ?, ?)",
                            [
                                .integer(Int64(migration.version)), .text(migration.name),
                                .text(Timestamp.rfc3339(Timestamp.now())),
                            ]))
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        } catch {
            throw failure(error)
        }
    }

    func close() async {
        try? await connection.close()
    }

    private func run(_ statement: SQLStatement) async throws -> [StoreRow] {
        var binds = PostgresBindings(capacity: statement.arguments.count)
        for argument in statement.arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .real(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let bytes): binds.append(ByteBuffer(bytes: bytes))
            }
        }
        let sequence = try await connection.query(
            PostgresQuery(unsafeSQL: statement.sql.numberingPlaceholders, binds: binds), logger: logger)
        var rows: [StoreRow] = []
        for try await row in sequence {
            rows.append(StoreRow(values: try row.map(Self.value)))
        }
        return rows
    }

    private static func value(_ cell: PostgresCell) throws -> StoreValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea: return .blob(Array(buffer: try cell.decode(ByteBuffer.self)))
        default: return .text(try cell.decode(String.self))
        }
    }

    private func failure(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        return StoreError(.unavailable, "store \(location): \(Self.describe(error))")
    }

    private static func tls(_ mode: PostgresLocation.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return .disable
        case .verifyFull: return .require(try NIOSSLContext(configuration: configuration))
        case .prefer, .require:
            // As libpq's prefer and require: encrypted, the server's certificate not verified.
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            return mode == .prefer ? .prefer(context) : .require(context)
        }
    }

    /// One line for a PostgresNIO or NIO error: the server's message, or the system's reason.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + code
            }
            if let underlying = error.underlying { return describe(underlying) }
            switch error.code {
            case .serverClosedConnection: return "the server closed the connection"
            case .authMechanismRequiresPassword: return "the server asks for a password (PGPASSWORD or USER:PASSWORD@)"
            case .sslUnsupported: return "the server does not offer TLS (sslmode=require)"
            default: return "\(error.code)"
            }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first { return describe(failure.error) }
            if let failure = error.dnsAAAAError ?? error.dnsAError { return "cannot resolve the host: \(failure)" }
            return "cannot connect"
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return "timed out connecting" }
        return "\(error)"
    }
}
