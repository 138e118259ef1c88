/// One versioned step of the store's schema. Steps are applied in order, each once, and recorded
/// in `recon_schema`; a step is never edited once released (a change is a new step).
struct StoreMigration: Sendable {
    var version: Int
    var name: String
    /// Statements in the shared dialect (`StoreDialect.translate`).
    var statements: [String]
}

/// The store's schema, the same on SQLite and PostgreSQL (documented in the README, "Store").
/// A run is one row of `runs`, written when the scan starts (incomplete) and completed in one
/// transaction when it ends; its hosts, listed ports (open, filtered, error, unusual closed)
/// and findings are rows of their own. Closed ports are a range list per host, never one row
/// per port.
enum StoreSchema {
    /// `recon_schema`: which migrations have been applied.
    static let versionTable = """
        CREATE TABLE IF NOT EXISTS recon_schema (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied TEXT NOT NULL)
        """

    static let migrations: [StoreMigration] = [
        StoreMigration(
            version: 1, name: "runs, hosts, ports, findings",
            statements: [
                """
                CREATE TABLE runs (
                    id {id},
                    command TEXT NOT NULL,
                    scanner TEXT NOT NULL,
                    schema TEXT NOT NULL,
                    started TEXT NOT NULL,
                    ended TEXT,
                    complete BIGINT NOT NULL,
                    interrupted_by TEXT,
                    targets TEXT NOT NULL,
                    target_key TEXT NOT NULL,
                    ports TEXT NOT NULL,
                    port_count BIGINT NOT NULL,
                    open_count BIGINT NOT NULL,
                    closed_count BIGINT NOT NULL,
                    filtered_count BIGINT NOT NULL,
                    error_count BIGINT NOT NULL,
                    unscanned_count BIGINT NOT NULL,
                    findings_count BIGINT,
                    failing_count BIGINT,
                    run_json TEXT NOT NULL,
                    audit_json TEXT)
                """,
                "CREATE INDEX runs_by_targets ON runs (target_key, scanner, complete, id)",
                """
                CREATE TABLE hosts (
                    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    idx BIGINT NOT NULL,
                    address TEXT NOT NULL,
                    hostname TEXT,
                    open_count BIGINT NOT NULL,
                    closed_count BIGINT NOT NULL,
                    filtered_count BIGINT NOT NULL,
                    error_count BIGINT NOT NULL,
                    unscanned_count BIGINT NOT NULL,
                    closed_ports TEXT,
                    host_json TEXT NOT NULL,
                    PRIMARY KEY (run_id, idx))
                """,
                "CREATE INDEX hosts_by_address ON hosts (address)",
                """
                CREATE TABLE ports (
                    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    host_idx BIGINT NOT NULL,
                    port BIGINT NOT NULL,
                    state TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    service TEXT,
                    product TEXT,
                    version TEXT,
                    banner {blob},
                    banner_truncated BIGINT,
                    entry_json TEXT NOT NULL,
                    handshake_json TEXT,
                    PRIMARY KEY (run_id, host_idx, port))
                """,
                """
                CREATE TABLE findings (
                    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    seq BIGINT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    host TEXT NOT NULL,
                    port BIGINT NOT NULL,
                    waived BIGINT NOT NULL,
                    finding_json TEXT NOT NULL,
                    PRIMARY KEY (run_id, seq))
                """,
                "CREATE INDEX findings_by_fingerprint ON findings (fingerprint)",
            ])
    ]

    /// The newest schema version this recon knows.
    static var latest: Int { migrations.map(\.version).max() ?? 0 }

    /// Why a store at `version` cannot be used by this recon, or nil.
    static func problem(withVersion version: Int, location: String) -> StoreError? {
        guard version > latest else { return nil }
        return StoreError(
            .unavailable,
            "the store \(location) has schema version \(version), newer than this recon knows (\(latest)): "
                + "upgrade recon")
    }
}
