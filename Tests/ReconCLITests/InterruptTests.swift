import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// Ctrl-C and SIGTERM during a scan: the partial report is written, valid, and marked.
@Suite("Interrupting a scan")
struct InterruptTests {
    /// Starts recon with `arguments`, sends it `signal` after `microseconds`, and waits for it to end.
    static func interrupted(_ arguments: [String], after microseconds: useconds_t, by signal: Int32) throws
        -> CommandResult
    {
        let scan = try CommandRunner.start(CommandRunner.reconBinary, arguments)
        usleep(microseconds)
        scan.signal(signal)
        return try scan.finish(timeout: 10)
    }

    @Test func sigintWritesValidPartialJSON() throws {
        try withTemporaryFile(suffix: ".json") { file in
            let result = try Self.interrupted(
                ["scan", "127.0.0.1", "-", "--rate", "2000", "--format", "json", "-o", file], after: 600_000,
                by: SIGINT)
            #expect(result.status == 130, "\(result.stderr)")
            let json = try String(contentsOfFile: file, encoding: .utf8)
            #expect(try CommandRunner.schemaViolation(json: json) == nil)
            let report = try JSONDecoder().decode(ScanReport.self, from: Data(json.utf8))
            #expect(!report.run.complete)
            #expect(report.run.interruptedBy == "SIGINT")
            let scanned = report.hosts[0].summary.scanned
            #expect(scanned > 100 && scanned < 65535)
            #expect(report.summary.unscanned == 65535 - scanned)
            // Every port scanned is accounted for: listed, or in the closed summary.
            #expect(report.hosts[0].ports.count + (report.hosts[0].closed?.count ?? 0) == scanned)
            #expect(report.hosts[0].ports.map(\.port) == report.hosts[0].ports.map(\.port).sorted())
        }
    }

    @Test func sigtermEndsJSONLinesWithEndRecord() throws {
        let result = try Self.interrupted(
            ["scan", "127.0.0.1", "-", "--rate", "2000", "--format", "jsonl"], after: 500_000, by: SIGTERM)
        #expect(result.status == 143)
        let lines = result.lines
        let end = try #require(lines.last)
        #expect(try CommandRunner.schemaViolation(json: end, definition: "endRecord") == nil)
        let record = try JSONDecoder().decode(EndRecord.self, from: Data(end.utf8))
        #expect(record.run.interruptedBy == "SIGTERM")
        #expect(lines.count - 2 + (record.hosts[0].closed?.count ?? 0) == 65535 - record.summary.unscanned)
    }

    @Test func tableSaysIncomplete() throws {
        let result = try Self.interrupted(["scan", "127.0.0.1", "-", "--rate", "2000"], after: 500_000, by: SIGINT)
        #expect(result.status == 130)
        #expect(result.stdout.contains("INCOMPLETE: stopped by SIGINT"))
        #expect(result.stdout.contains(" unscanned"))
    }
}
