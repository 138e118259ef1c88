import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// nmap's spellings where they do not clash with recon's: `-p22`, `-p-`, `recon TARGET PORTS`
/// without `scan`, `-iL -`, `--exclude`, `--exclude-file`, `--top-ports`; and the errors a nmap
/// user's slip gets.
@Suite("nmap habits")
struct NmapHabitsTests {
    @Test func portSpellingsAndTheDefaultSubcommand() throws {
        let listener = TestSocket()
        for arguments in [
            ["scan", "-p\(listener.port)", "127.0.0.1"], ["-p", "\(listener.port)", "127.0.0.1"],
            ["127.0.0.1", "\(listener.port)"], ["scan", "-p-", "127.0.0.1", "--open"],
        ] {
            let result = try CommandRunner.recon(arguments + ["--format", "json"])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(try result.report().port(listener.port)?.state == .open, "\(arguments)")
        }
    }

    @Test func targetsFromStandardInput() throws {
        let listener = TestSocket()
        let result = try CommandRunner.run(
            "/bin/sh",
            [
                "-c", "printf '127.0.0.1\\n::1\\n' | \"$0\" scan -iL - \(listener.port) --format json",
                CommandRunner.reconBinary,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.report().hosts.map(\.address) == ["127.0.0.1", "::1"])
    }

    @Test func excludedAddressesAreSkippedInsideABlock() throws {
        let result = try CommandRunner.recon([
            "scan", "127.0.0.0/29", "80", "--exclude", "127.0.0.1,127.0.0.4/31", "--format", "json",
        ])
        #expect(
            try result.report().hosts.map(\.address) == [
                "127.0.0.0", "127.0.0.2", "127.0.0.3", "127.0.0.6", "127.0.0.7",
            ])
        try withTemporaryFile("deny 127.0.0.2\n", suffix: ".policy") { policy in
            try withTemporaryFile("127.0.0.2  # the resolver stub\n", suffix: ".txt") { list in
                // A denied address inside a block refuses the run, unless it is excluded...
                let refused = try CommandRunner.recon(["scan", "127.0.0.0/30", "80", "--policy", policy])
                #expect(refused.status == 3)
                let skipped = try CommandRunner.recon([
                    "scan", "127.0.0.0/30", "80", "--policy", policy, "--exclude-file", list, "--format", "json",
                ])
                #expect(skipped.status == 0, "\(skipped.stderr)")
                #expect(try skipped.report().hosts.map(\.address) == ["127.0.0.0", "127.0.0.1", "127.0.0.3"])
                // ...but named outright it is still refused.
                let named = try CommandRunner.recon([
                    "scan", "127.0.0.2", "80", "--policy", policy, "--exclude", "127.0.0.2",
                ])
                #expect(named.status == 3)
            }
        }
    }

    @Test func topPortsComeFromTheFrequencyTable() throws {
        let result = try CommandRunner.recon(["scan", "--top-ports", "5", "127.0.0.1", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.report().run.ports == "21-22,25,80,443")
        let tooMany = try CommandRunner.recon(["scan", "--top-ports", "100000", "127.0.0.1"])
        #expect(tooMany.status == 2 && tooMany.stderr.contains("--top-ports takes 1-"))
    }

    @Test(
        "a nmap user's slips get one line naming the fix, exit 2",
        arguments: [
            (["scan", "127.0.0.1", "21022", "80"], "'21022' looks like ports, not a target"),
            (["scan", "-p", "22", "--top-ports", "10", "127.0.0.1"], "give -p or --top-ports, not both"),
            (["scan", "127.0.0.0/30", "80", "--exclude", "127.0.0.0/30"], "every target address is excluded"),
        ])
    func slips(arguments: [String], message: String) throws {
        let result = try CommandRunner.recon(arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message) && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
