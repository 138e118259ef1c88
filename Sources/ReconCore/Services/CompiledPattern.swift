import CPCRE2

/// A rule's regex compiled by PCRE2, the engine nmap's patterns are written for, over bytes:
/// no UTF mode, so each reply byte is one character (`\xff` matches the byte 0xFF, `\d \w \s`
/// are ASCII), and offsets are byte offsets. Compiled (and JIT-compiled where PCRE2 can) once;
/// the compiled code is only read afterwards, so one instance serves every thread, each match
/// bringing its own scratch space (`Matcher`).
final class CompiledPattern: @unchecked Sendable {
    /// The outcome of one match.
    enum Outcome {
        /// The match's byte range and the bytes of each group (index 0 the whole match; nil
        /// for a group that took no part).
        case match(range: Range<Int>, captures: [[UInt8]?])
        case noMatch
        /// A limit of the budget stopped the match (match, depth or heap limit, JIT stack):
        /// not a match, and worth telling.
        case limitExceeded
    }

    private let code: OpaquePointer
    /// The pattern as written, and its options.
    let source: String
    let ignoresCase: Bool
    let dotAll: Bool
    /// The pattern's capture groups (not counting the whole match).
    let captureCount: Int
    /// Whether PCRE2 compiled it to machine code.
    let isJITCompiled: Bool

    /// Compiles `source` (its UTF-8 bytes: a non-ASCII character written in a UTF-8 rules file
    /// matches the same character sent as UTF-8). Throws the compiler's message and the offset.
    init(_ source: String, ignoresCase: Bool, dotAll: Bool, jit: Bool = true) throws(RuleLineError) {
        var options: UInt32 = 0
        if ignoresCase { options |= RECON_PCRE2_CASELESS }
        if dotAll { options |= RECON_PCRE2_DOTALL }
        var error: Int32 = 0
        var offset = 0
        let bytes = Array(source.utf8)
        let compiled = bytes.withUnsafeBufferPointer { pattern in
            recon_pcre2_compile(pattern.baseAddress, pattern.count, options, &error, &offset)
        }
        guard let compiled else {
            throw RuleLineError("regex does not compile: \(Self.message(error)) at offset \(offset)")
        }
        code = compiled
        self.source = source
        self.ignoresCase = ignoresCase
        self.dotAll = dotAll
        captureCount = Int(recon_pcre2_capture_count(compiled))
        isJITCompiled = jit && recon_pcre2_jit_compile(compiled) == 0
    }

    deinit {
        recon_pcre2_code_free(code)
    }

    /// PCRE2's text for an error code.
    static func message(_ error: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = recon_pcre2_error_message(error, &buffer, buffer.count)
        return length > 0 ? String(decoding: buffer[..<Int(length)], as: UTF8.self) : "error \(error)"
    }

    /// Matches `subject` at its start only (`anchored`) or anywhere, within `matcher`'s limits.
    func match(_ subject: ArraySlice<UInt8>, anchored: Bool = false, with matcher: Matcher) -> Outcome {
        let data = matcher.matchData(pairs: captureCount + 1)
        let result = subject.withUnsafeBufferPointer { bytes in
            recon_pcre2_match(
                code, bytes.baseAddress, bytes.count, anchored ? RECON_PCRE2_ANCHORED : 0, data, matcher.context)
        }
        guard result > 0 else {
            return result == RECON_PCRE2_ERROR_NOMATCH ? .noMatch : .limitExceeded
        }
        let vector = recon_pcre2_ovector(data)!
        let base = subject.startIndex
        var captures: [[UInt8]?] = []
        captures.reserveCapacity(captureCount + 1)
        for group in 0...captureCount {
            let start = vector[2 * group]
            let end = vector[2 * group + 1]
            if group >= Int(result) || start < 0 || end < start {  // PCRE2_UNSET is ~0: -1 as Int
                captures.append(nil)
            } else {
                captures.append(Array(subject[(base + start)..<(base + end)]))
            }
        }
        return .match(range: vector[0]..<max(vector[0], vector[1]), captures: captures)
    }

    /// `match(_:anchored:with:)` with a matcher of the standard limits made for this one call.
    func match(_ subject: [UInt8], anchored: Bool = false) -> Outcome {
        match(subject[...], anchored: anchored, with: Matcher(limits: .standard))
    }
}
