/// One output of a run: a format and where it goes (a file, or standard output when `path` is nil).
public struct ReportDestination: Sendable, Equatable {
    public var format: ReportFormat
    public var path: String?

    public init(format: ReportFormat, path: String?) {
        self.format = format
        self.path = path
    }

    /// The format a file name's extension names: `.json`, `.jsonl`, `.xml`, `.sarif`, `.txt`,
    /// `.list` (nil for others).
    public static func format(forFile path: String) -> ReportFormat? {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "json": return .json
        case "jsonl", "ndjson": return .jsonl
        case "xml": return .xml
        case "sarif": return .sarif
        case "txt", "nmap": return .table
        case "list": return .list
        default: return nil
        }
    }
}

/// The outputs a command line asks for, nmap's way: a main output (`--format`, or the format of
/// `-o FILE`'s extension, else the table; to `-o FILE` or standard output) plus any number of
/// others (`--output FORMAT:FILE`, `-oX FILE`, `-oN FILE`, `-oA BASENAME` for `.txt`, `.json`
/// and `.xml`). `-` as a file is standard output; an extra output there replaces the main one.
public struct OutputRequest: Sendable, Equatable {
    /// `--format`.
    public var format: ReportFormat?
    /// `-o FILE`.
    public var file: String?
    /// `--output FORMAT:FILE` (repeatable).
    public var outputs: [String] = []
    /// `-oX FILE`, `-oN FILE`, `-oA BASENAME` (repeatable).
    public var xmlFiles: [String] = []
    public var tableFiles: [String] = []
    public var allBasenames: [String] = []

    public init() {}

    /// Every destination, the main one first; throws a one-line reason for a bad one.
    public func destinations() throws(SetupError) -> [ReportDestination] {
        var extra: [ReportDestination] = []
        for spec in outputs {
            guard let colon = spec.firstIndex(of: ":"), let format = ReportFormat(rawValue: String(spec[..<colon])),
                spec.index(after: colon) < spec.endIndex
            else {
                let names = ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")
                throw SetupError(
                    .usage,
                    "--output takes FORMAT:FILE (FORMAT one of \(names); FILE '-' for standard output), not '\(spec)'")
            }
            let path = String(spec[spec.index(after: colon)...])
            extra.append(ReportDestination(format: format, path: path == "-" ? nil : path))
        }
        extra += xmlFiles.map { ReportDestination(format: .xml, path: $0 == "-" ? nil : $0) }
        extra += tableFiles.map { ReportDestination(format: .table, path: $0 == "-" ? nil : $0) }
        for base in allBasenames {
            extra += [(ReportFormat.table, "txt"), (.json, "json"), (.xml, "xml")].map {
                ReportDestination(format: $0.0, path: "\(base).\($0.1)")
            }
        }
        var all = extra
        if let file, file != "-" {
            all.insert(
                ReportDestination(format: format ?? ReportDestination.format(forFile: file) ?? .table, path: file),
                at: 0)
        } else if !extra.contains(where: { $0.path == nil }) {
            all.insert(ReportDestination(format: format ?? .table, path: nil), at: 0)
        }
        if all.filter({ $0.path == nil }).count > 1 {
            throw SetupError(.usage, "only one output can go to standard output")
        }
        var seen = Set<String>()
        for case let path? in all.map(\.path) where !seen.insert(path).inserted {
            throw SetupError(.usage, "two outputs write to \(path)")
        }
        return all
    }
}
