import CFuzzSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What a fuzz target does with one input.
public typealias FuzzBody = ([UInt8]) -> Void

/// The target's body; set once by `fuzz(_:)` before libFuzzer runs, read only by `testOneInput`.
nonisolated(unsafe) private var body: FuzzBody = { _ in }

/// libFuzzer's callback: copies the input and hands it to the body.
private func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    body(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// Runs libFuzzer with `target` as the fuzz target; libFuzzer reads its own options and corpus
/// folders from the command line (`-max_total_time=10 corpus/`, or files to replay). Never returns.
///
/// A target traps on a broken invariant (`invariant`), and so does any trap in the code under
/// test: libFuzzer then writes the input to `crash-<sha1>` (see `-artifact_prefix`).
public func fuzz(_ target: @escaping FuzzBody) -> Never {
    body = target
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
}

/// Stops the run, as a crash libFuzzer records, when `condition` does not hold.
public func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
    line: UInt = #line
) {
    guard !condition() else { return }
    fatalError("invariant broken: \(message())", file: file, line: line)
}

/// True when `FUZZ_STRICT=1`: the invariants of open findings (`knownIssue`) are checked too.
public let strict = getenv("FUZZ_STRICT").map { String(cString: $0) == "1" } ?? false

/// An invariant that a reported, not yet fixed finding breaks (listed in Fuzz/FINDINGS.md under
/// `id`, its reproducer checked in under Fuzz/corpus). Checked like `invariant` only with
/// `FUZZ_STRICT=1`, so that one known finding does not end every run before it is fixed; once it
/// is, the call becomes an `invariant`. Returns whether the condition held, for dependent checks.
@discardableResult
public func knownIssue(
    _ id: String, _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) -> Bool {
    let holds = condition()
    if !holds && strict { fatalError("invariant broken (open finding \(id)): \(message())", file: file, line: line) }
    return holds
}

extension Array where Element == UInt8 {
    /// The bytes as text, invalid UTF-8 repaired (as recon reads every text file).
    public var text: String { String(decoding: self, as: UTF8.self) }
}

extension StringProtocol {
    /// How many lines recon's line-numbered formats see in this text (split at `\n` and `\r\n`).
    public var lineCount: Int {
        split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).count
    }

    /// True if the text holds a line feed: an error message must stay on one line.
    public var isMultiline: Bool {
        unicodeScalars.contains("\n")
    }
}

/// An in-memory file whose path (`/proc/self/fd/N`) code under test can open and read, as if it
/// were a file on disk, without touching the disk for every input.
public struct MemoryFile {
    private let descriptor: Int32
    /// A path that opens the file's current contents from the start.
    public let path: String

    public init() {
        descriptor = recon_fuzz_memory_file()
        precondition(descriptor >= 0, "memfd_create failed")
        path = "/proc/self/fd/\(descriptor)"
    }

    /// Replaces the contents with `bytes`.
    public func write(_ bytes: [UInt8]) {
        ftruncate(descriptor, 0)
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        precondition(written == bytes.count, "short write to the in-memory file")
    }
}

/// The invariants of an error of one of recon's line-numbered formats: it names a line of
/// `text` (`firstLine` 0 for formats whose whole-file errors are at line 0), starts with
/// `prefix` and that line (`FILE:LINE: `), and stays on one line.
public func checkLineError(
    line: Int, description: String, in text: String, prefix: String?, firstLine: Int = 1,
    file: StaticString = #fileID, lineNumber: UInt = #line
) {
    invariant((firstLine...max(1, text.lineCount)).contains(line), "error at line \(line): \(description)")
    if let prefix { invariant(description.hasPrefix("\(prefix):\(line): "), "odd error: \(description)") }
    invariant(!description.isMultiline, "error on more than one line: \(description)")
}

/// CPU time of this thread in seconds: a loaded machine (other fuzzers, builds) must not look
/// like a slow match.
public func cpuSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
