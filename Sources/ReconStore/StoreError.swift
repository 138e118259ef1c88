/// Why the store could not do what was asked, and which kind of problem it is (the executable
/// maps the kind to its exit code): bad input (a `--db` value, a run id, a report file) or a
/// database that cannot be opened, reached, migrated or written.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Bad input: a `--db` value, an unknown run, an unreadable report file (exit 2).
        case usage
        /// The database cannot be opened, reached, migrated or written (its own exit code).
        case unavailable
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
