#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads small UTF-8 text files (policies, target lists) without Foundation.
public enum TextFile {
    /// Files larger than this are refused: inputs are hand-written lists.
    static let maximumSize = 16 << 20

    /// The file's text; invalid UTF-8 is repaired. Throws a one-line reason.
    public static func read(_ path: String) throws(TextFileError) -> String {
        String(decoding: try bytes(path, limit: maximumSize), as: UTF8.self)
    }

    /// The file's bytes, at most `limit` of them (a larger file is refused). Throws a one-line reason.
    public static func bytes(_ path: String, limit: Int) throws(TextFileError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw TextFileError(description: "cannot read: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            if bytes.count > limit {
                throw TextFileError(description: "larger than \(limit >> 20) MiB")
            }
            if count < chunk.count {
                if ferror(file) != 0 {
                    throw TextFileError(description: "read error: \(String(cString: strerror(errno)))")
                }
                break
            }
        }
        return bytes
    }
}

extension TextFile {
    /// Reads the file at `path` and parses its text with `parse`; a file that cannot be read
    /// becomes the format's error at line 0.
    static func parse<Parsed, Kind>(
        _ path: String, _ parse: (String) throws(LineFileError<Kind>) -> Parsed
    ) throws(LineFileError<Kind>) -> Parsed {
        let text: String
        do {
            text = try read(path)
        } catch {
            throw LineFileError(path: path, line: 0, message: error.description)
        }
        return try parse(text)
    }
}

/// What names a kind of line-numbered file in its errors (`policy`, `waivers`, or nothing).
public protocol LineFileKind: Sendable {
    /// Put before the path in messages, if any.
    static var label: String? { get }
}

/// A malformed or unreadable file of one of recon's line formats (scope policy, service rules,
/// audit rules, waivers), with the line at fault.
public struct LineFileError<Kind: LineFileKind>: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// 1-based line number; 0 when the file could not be read at all.
    public let line: Int
    /// What is wrong, in one line.
    public let message: String

    public init(path: String, line: Int, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `[LABEL ]FILE:LINE: message` (`FILE: message` when the file could not be read).
    public var description: String {
        (Kind.label.map { "\($0) " } ?? "") + (line > 0 ? "\(path):\(line)" : path) + ": \(message)"
    }
}

/// Why a text file could not be read.
public struct TextFileError: Error, CustomStringConvertible {
    public let description: String
}

extension String {
    /// The text's lines (see `lines()`) with any `#` comment removed.
    func linesWithoutComments() -> [Substring] {
        lines().map { line in
            line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        }
    }

    /// The text's lines (see `lines()`) with their 1-based numbers, for line-numbered errors.
    func numberedLines() -> [(number: Int, line: Substring)] {
        lines().enumerated().map { index, line in (index + 1, line) }
    }

    /// The text's lines, split at `\n` and `\r\n` (one Character in Swift, so splitting at
    /// `"\n"` alone would keep a CRLF file as one line), empty lines kept.
    func lines() -> [Substring] {
        split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }
}

extension Substring {
    /// Words separated by spaces and tabs.
    func words() -> [Substring] {
        split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
    }
}

/// Where recon's policies may be replaced from.
public enum PolicyFolder {
    /// The folder `RECON_POLICIES` names, whose rules files replace the built-in ones; nil when unset.
    public static var fromEnvironment: String? {
        getenv("RECON_POLICIES").flatMap { $0.pointee == 0 ? nil : String(cString: $0) }
    }
}
