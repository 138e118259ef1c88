import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// Ctrl-C and SIGTERM during a scan: the partial report is written, valid, and marked.
@Suite("Interrupting a scan")
struct InterruptTests {
    @Test func sigintWritesValidPartialJSON() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recon-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let scan = try CommandRunner.start(
            CommandRunner.reconBinary,
            ["scan", "127.0.0.1", "-", "--rate", "2000", "--format", "json", "-o", file.path])
        usleep(600_000)
        scan.signal(SIGINT)
        let result = try scan.finish(timeout: 10)
        #expect(result.status == 130, "\(result.stderr)")
        let json = try String(contentsOf: file, encoding: .utf8)
        #expect(try CommandRunner.schemaViolation(json: json) == nil)
        let report = try JSONDecoder().decode(ScanReport.self, from: Data(json.utf8))
        #expect(!report.run.complete)
        #expect(report.run.interruptedBy == "SIGINT")
        let scanned = report.hosts[0].ports.count
        #expect(scanned > 100 && scanned < 65535)
        #expect(report.summary.unscanned == 65535 - scanned)
        #expect(report.hosts[0].ports.map(\.port) == report.hosts[0].ports.map(\.port).sorted())
    }

    @Test func sigtermEndsJSONLinesWithEndRecord() throws {
        let scan = try CommandRunner.start(
            CommandRunner.reconBinary, ["scan", "127.0.0.1", "-", "--rate", "2000", "--format", "jsonl"])
        usleep(500_000)
        scan.signal(SIGTERM)
        let result = try scan.finish(timeout: 10)
        #expect(result.status == 143)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let end = try #require(lines.last)
        #expect(try CommandRunner.schemaViolation(json: end, definition: "endRecord") == nil)
        let record = try JSONDecoder().decode(EndRecord.self, from: Data(end.utf8))
        #expect(record.run.interruptedBy == "SIGTERM")
        #expect(lines.count - 2 == 65535 - record.summary.unscanned)
    }

    @Test func tableSaysIncomplete() throws {
        let scan = try CommandRunner.start(CommandRunner.reconBinary, ["scan", "127.0.0.1", "-", "--rate", "2000"])
        usleep(500_000)
        scan.signal(SIGINT)
        let result = try scan.finish(timeout: 10)
        #expect(result.status == 130)
        #expect(result.stdout.contains("INCOMPLETE: stopped by SIGINT"))
        #expect(result.stdout.contains(" unscanned"))
    }
}
