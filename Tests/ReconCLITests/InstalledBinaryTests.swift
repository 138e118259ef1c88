import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// recon installed alone: the binary copied to a folder of its own, run from `/` with an empty
/// environment, still identifies services and audits (its rules are compiled in), and
/// `RECON_POLICIES` replaces them.
@Suite("The binary on its own")
struct InstalledBinaryTests {
    /// Runs a copy of the binary under test from `/`, with only the environment given.
    static func runInstalled(_ arguments: [String], environment: [String] = []) throws -> CommandResult {
        let folder = NSTemporaryDirectory() + "recon-installed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: CommandRunner.reconBinary, toPath: folder + "/recon")
        return try CommandRunner.run(
            "/bin/sh",
            ["-c", "cd / && exec /usr/bin/env -i \"$@\"", "sh"] + environment + [folder + "/recon"] + arguments)
    }

    @Test func identifiesAndAuditsWithoutAnyFileBesideIt() throws {
        let services = try HostileServices(["banner", "webapp"])
        let scan = try Self.runInstalled([
            "scan", "--banner", "127.0.0.1", services.portList(["banner"]), "--format", "json",
        ])
        #expect(scan.status == 0, "\(scan.stderr)")
        let entry = try #require(try scan.report().port(services.ports["banner"]!))
        #expect(entry.service?.name == "ssh")
        #expect(entry.service?.product == "OpenSSH")

        let audit = try Self.runInstalled(["audit", "127.0.0.1", services.portList(["webapp"]), "--format", "json"])
        #expect(audit.status == 6, "\(audit.stderr)")
        let report = try audit.report()
        #expect(report.findings?.contains { $0.rule == "php-version" } == true)
        #expect(report.audit?.rules == [AuditRules.builtInPath])
    }

    @Test func recon_policiesReplacesTheBuiltInRules() throws {
        let services = try HostileServices(["banner"])
        let folder = NSTemporaryDirectory() + "recon-policies-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "probe banner\nmatch custom-ssh m|^SSH-2\\.0-| p/Replaced/\n".write(
            toFile: folder + "/services.rules", atomically: true, encoding: .utf8)
        let scan = try Self.runInstalled(
            ["scan", "--banner", "127.0.0.1", services.portList(["banner"]), "--format", "json"],
            environment: ["RECON_POLICIES=\(folder)"])
        #expect(scan.status == 0, "\(scan.stderr)")
        let entry = try #require(try scan.report().port(services.ports["banner"]!))
        #expect(entry.service?.name == "custom-ssh")
        #expect(entry.service?.product == "Replaced")

        let missing = try Self.runInstalled(
            ["audit", "127.0.0.1", services.portList(["banner"])], environment: ["RECON_POLICIES=\(folder)"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("\(folder)/audit.rules"), "\(missing.stderr)")
    }
}
