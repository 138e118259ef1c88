#if canImport(Glibc)
    import Glibc
#endif

/// Where the store is: an SQLite file (the default, `$XDG_DATA_HOME/recon/recon.sqlite`, or
/// `--db PATH`) or a PostgreSQL database (`--db postgresql://USER@HOST:PORT/DB`).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// An SQLite file; `createsFolder` for the default one, whose folders are made on first use.
    case sqlite(path: String, createsFolder: Bool)
    case postgres(PostgresLocation)

    /// The location `--db` names (nil: the default file). `environment` supplies `XDG_DATA_HOME`,
    /// `HOME`, `PGUSER` and `PGPASSWORD`.
    public init(_ text: String?, environment: [String: String]) throws(StoreError) {
        guard let text else {
            self = .sqlite(path: try Self.defaultPath(environment: environment), createsFolder: true)
            return
        }
        if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") {
            self = .postgres(try PostgresLocation(url: text, environment: environment))
        } else if text.contains("://") {
            throw StoreError(.usage, "--db takes a file path or postgresql://USER@HOST:PORT/DB, not '\(text)'")
        } else if text.isEmpty {
            throw StoreError(.usage, "--db needs a file path or a postgresql:// URL")
        } else {
            self = .sqlite(path: text, createsFolder: false)
        }
    }

    /// `$XDG_DATA_HOME/recon/recon.sqlite`, or `~/.local/share/recon/recon.sqlite` when
    /// `XDG_DATA_HOME` is unset or not absolute (as the XDG base directory specification says).
    public static func defaultPath(environment: [String: String]) throws(StoreError) -> String {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/recon/recon.sqlite" }
        var home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        if home == nil, let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir {
            home = String(cString: directory)
        }
        guard let home else {
            throw StoreError(.usage, "no home folder for the default store: give --db PATH or set XDG_DATA_HOME")
        }
        return home + "/.local/share/recon/recon.sqlite"
    }

    /// The location for messages and reports: never a password.
    public var description: String {
        switch self {
        case .sqlite(let path, _): return path
        case .postgres(let location): return location.description
        }
    }

    /// `arguments` with the password of any `--db postgresql://USER:PASSWORD@...` masked, so a
    /// report's `run.arguments` (and the store's copy) never carries it.
    public static func redactingPasswords(_ arguments: [String]) -> [String] {
        arguments.map { argument in
            for scheme in ["postgresql://", "postgres://"] {
                guard let start = argument.firstRange(of: scheme) else { continue }
                let rest = argument[start.upperBound...]
                let authority = rest.prefix { $0 != "/" && $0 != "?" }
                guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
                    continue
                }
                return String(argument[..<argument.index(after: colon)]) + "***" + String(argument[at...])
            }
            return argument
        }
    }
}

/// A PostgreSQL database: `postgresql://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE][?sslmode=...&connect_timeout=S]`.
/// The user defaults to `PGUSER`, then the login name; the database to the user; the port to
/// 5432; the password to `PGPASSWORD`. `sslmode` is `disable`, `prefer` (default: TLS when the
/// server offers it, unverified, as libpq does), `require` (TLS, unverified) or `verify-full`.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// Seconds to wait for the connection (`connect_timeout`, default 5).
    public var connectTimeout: Int

    public init(url: String, environment: [String: String]) throws(StoreError) {
        func bad(_ why: String) -> StoreError { StoreError(.usage, "--db: \(why) (postgresql://USER@HOST:PORT/DB)") }
        var rest = Substring(url.drop { $0 != ":" }.dropFirst(3))
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var hostText = rest
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("unclosed [ in the host") }
            hostText = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw bad("bad host") }
        } else if let colon = rest.lastIndex(of: ":") {
            hostText = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !hostText.isEmpty else { throw bad("no host") }
        host = String(hostText)
        port = 5432
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw bad("bad port '\(portText)'") }
            port = value
        }
        let login = getlogin().map { String(cString: $0) }
        user = environment["PGUSER"] ?? login ?? "postgres"
        password = environment["PGPASSWORD"]
        if let userInfo {
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.percentDecoded(parts[0]), !name.isEmpty else { throw bad("bad user name") }
            user = name
            if parts.count == 2 {
                guard let secret = Self.percentDecoded(parts[1]) else { throw bad("bad password encoding") }
                password = secret
            }
        }
        guard let databaseName = Self.percentDecoded(path) else { throw bad("bad database name") }
        database = databaseName.isEmpty ? user : databaseName
        tls = .prefer
        connectTimeout = 5
        for item in query.split(separator: "&") where !item.isEmpty {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = pair.count == 2 ? String(pair[1]) : ""
            switch pair[0] {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw bad("sslmode is disable, prefer, require or verify-full, not '\(value)'")
                }
                tls = mode
            case "connect_timeout":
                guard let seconds = Int(value), (1...3600).contains(seconds) else {
                    throw bad("connect_timeout is 1-3600 seconds, not '\(value)'")
                }
                connectTimeout = seconds
            default:
                throw bad("unknown parameter '\(pair[0])' (sslmode, connect_timeout)")
            }
        }
    }

    /// `postgresql://USER@HOST:PORT/DB`, without the password.
    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(user)@\(hostText):\(port)/\(database)"
    }

    /// `text` with `%XX` escapes decoded; nil when an escape or the UTF-8 is bad.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first < utf8.endIndex, utf8.index(after: first) < utf8.endIndex,
                    let value = UInt8(
                        String(decoding: utf8[first...utf8.index(after: first)], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
                index = utf8.index(first, offsetBy: 2)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension StoreLocation {
    /// The variables the store reads from the environment, as this process has them.
    public static var processEnvironment: [String: String] {
        var values: [String: String] = [:]
        for name in ["XDG_DATA_HOME", "HOME", "PGUSER", "PGPASSWORD"] {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        return values
    }
}
