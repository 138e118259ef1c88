#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads a saved report back (for `recon diff` operands and `recon audit --baseline FILE`). Each
/// format is one `ReportFileDecoder`, and the caller says which it reads: this library decodes
/// recon's JSON (`ReconJSONDecoder`); nmap XML needs Foundation's XML parser, which ReconCore does
/// not link, so its decoder lives in `ReconNmapXML` (`ReportFormats.all` lists both). The first
/// decoder whose `recognizes` accepts the file's first bytes decodes it.
public enum ReportFile {
    /// Files larger than this are refused (a full-range report of 65,536 hosts stays far below).
    public static let maximumSize = 1 << 30

    /// The `schema` of a report read from nmap XML, which has no schema of its own (and no findings).
    public static let nmapXMLSchema = "nmap-xml"

    /// The report in the file at `path`, read by the first of `decoders` that recognizes it.
    public static func read(_ path: String, decoders: [any ReportFileDecoder]) throws(ReportFileError) -> ScanReport {
        let bytes: [UInt8]
        do {
            bytes = try TextFile.bytes(path, limit: maximumSize)
        } catch {
            throw ReportFileError(path: path, message: error.description)
        }
        return try decode(bytes, path: path, decoders: decoders)
    }

    /// The report in `bytes`, read from `path` (named in errors).
    public static func decode(_ bytes: [UInt8], path: String, decoders: [any ReportFileDecoder])
        throws(ReportFileError) -> ScanReport
    {
        let start = bytes.drop { [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        guard let decoder = decoders.first(where: { $0.recognizes(start.prefix(256)) }) else {
            let formats = decoders.map(\.format).joined(separator: " or ")
            throw ReportFileError(path: path, message: "not \(formats.isEmpty ? "a readable report" : formats)")
        }
        do {
            return try decoder.decode(bytes)
        } catch {
            throw ReportFileError(path: path, message: error.description)
        }
    }
}

/// One report file format that `ReportFile` can read.
public protocol ReportFileDecoder: Sendable {
    /// The format in a few words, for errors: `a recon JSON report (recon-scan/1 or recon-scan/2)`.
    var format: String { get }
    /// True when `head` (the file's first bytes, leading white space skipped) looks like this format.
    func recognizes(_ head: ArraySlice<UInt8>) -> Bool
    /// The report; throws a one-line reason.
    func decode(_ bytes: [UInt8]) throws(ReportDecodingError) -> ScanReport
}

/// Why a file's content is no report of its format, in one line (text quoted from the file is
/// escaped and cut like every message).
public struct ReportDecodingError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = TerminalText.oneLine(description)
    }
}

/// recon's JSON document, `recon-scan/1` (every port listed) or `recon-scan/2` (closed ports as
/// ranges). Version 1 decodes into the same model: its hosts have no `closed` summary.
public struct ReconJSONDecoder: ReportFileDecoder {
    public static let schemas = ["recon-scan/1", ScanReport.schemaIdentifier]

    public init() {}

    public var format: String { "a recon JSON report (recon-scan/1 or recon-scan/2)" }

    public func recognizes(_ head: ArraySlice<UInt8>) -> Bool { head.first == UInt8(ascii: "{") }

    public func decode(_ bytes: [UInt8]) throws(ReportDecodingError) -> ScanReport {
        struct Schema: Decodable { var schema: String? }
        let data = Data(bytes)
        let schema: String?
        do {
            schema = try JSONDecoder().decode(Schema.self, from: data).schema
        } catch {
            throw ReportDecodingError("not a JSON document (a JSON Lines file? diff and baselines read --format json)")
        }
        guard let schema, Self.schemas.contains(schema) else {
            throw ReportDecodingError(
                "schema '\(schema ?? "none")' is not recon-scan/1 or recon-scan/2 (a recon JSON report)")
        }
        do {
            return try JSONDecoder().decode(ScanReport.self, from: data)
        } catch let error as DecodingError {
            throw ReportDecodingError("not a valid \(schema) report: \(Self.describe(error))")
        } catch {
            throw ReportDecodingError("not a valid \(schema) report")
        }
    }

    /// A decoding error in one line: what is wrong, and where (`hosts.0.ports.3.state`).
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return
                "missing '\(key.stringValue)' at \(path(context.codingPath).isEmpty ? "top" : path(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "bad value at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A report file that cannot be read or is no report: the path and a one-line reason.
public struct ReportFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
