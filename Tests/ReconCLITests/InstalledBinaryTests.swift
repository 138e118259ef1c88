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

    /// The shell lines of the README block after the HTML comment `<!-- marker ...`.
    static func readmeBlock(_ marker: String) throws -> String {
        let readme = try String(contentsOfFile: CommandRunner.path("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "<!-- \(marker)"), "README has no \(marker) block")
        let fence = try #require(readme.range(of: "```sh\n", range: start.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: fence.upperBound..<readme.endIndex))
        return String(readme[fence.upperBound..<end.lowerBound])
    }

    @Test func readmeInstallAndUninstallStepsWork() throws {
        let prefix = NSTemporaryDirectory() + "recon-prefix-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        // The README's steps as written, with the binary under test in place of the release build
        // (the build itself is what the first command of the README does).
        let install = try Self.readmeBlock("install").split(separator: "\n")
            .filter { !$0.hasPrefix("swift build") }.joined(separator: "\n")
            .replacingOccurrences(of: ".build/release/recon", with: CommandRunner.reconBinary)
        let installed = try CommandRunner.run(
            "/bin/sh",
            ["-c", "cd \"$0\" && PREFIX=\"$1\" && export PREFIX && \(install)", CommandRunner.path(""), prefix])
        #expect(installed.status == 0, "\(installed.stderr)")
        // Used from another directory with an empty environment: identifies and audits.
        let services = try HostileServices(["banner", "webapp"])
        let scan = try CommandRunner.run(
            "/bin/sh",
            [
                "-c", "cd / && exec /usr/bin/env -i \"$0\"/bin/recon scan --banner 127.0.0.1 \"$1\" --format json",
                prefix, services.portList(["banner"]),
            ])
        #expect(try scan.report().port(services.ports["banner"]!)?.service?.product == "OpenSSH", "\(scan.stderr)")
        let audit = try CommandRunner.run(
            "/bin/sh",
            [
                "-c", "cd / && exec /usr/bin/env -i \"$0\"/bin/recon audit 127.0.0.1 \"$1\"", prefix,
                services.portList(["webapp"]),
            ])
        #expect(audit.status == 6 && audit.stdout.contains("php-version"), "\(audit.stderr)")
        let manual = try CommandRunner.run("/usr/bin/man", ["-l", "\(prefix)/share/man/man1/recon.1"])
        #expect(manual.status == 0 && manual.stdout.contains("recon"))
        let uninstall = try Self.readmeBlock("uninstall")
        let removed = try CommandRunner.run(
            "/bin/sh", ["-c", "PREFIX=\"$0\" && export PREFIX && \(uninstall)", prefix])
        #expect(removed.status == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(prefix)/bin/recon"))
        #expect(!FileManager.default.fileExists(atPath: "\(prefix)/share/man/man1/recon.1"))
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
