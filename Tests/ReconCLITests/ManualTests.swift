import Foundation
import ReconTestSupport
import Testing

/// The man page (`docs/recon.1`, generated from the command definitions) renders and is current;
/// the shell completions complete files and the closed value sets.
@Suite("Man page and completions")
struct ManualTests {
    @Test func manPageRendersAndNamesEveryOption() throws {
        let page = CommandRunner.path("docs/recon.1")
        let rendered = try CommandRunner.run("/usr/bin/man", ["-l", page])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(rendered.stdout.contains("TCP service recon for hosts you own"))
        // Every option `recon scan --help` and `recon audit --help` list is in the page: an option
        // added without regenerating it fails here (regenerate: see the README, "Man page").
        let manual = try String(contentsOfFile: page, encoding: .utf8)
        for command in ["scan", "audit"] {
            let help = try CommandRunner.recon([command, "--help"]).stdout
            // The option column: lines that start with `-x, --name` or `--name`.
            let options = help.split(separator: "\n").compactMap { line -> Substring? in
                line.split(separator: " ").first {
                    $0.hasPrefix("--") && $0.dropFirst(2).allSatisfy { $0.isLetter || $0 == "-" }
                        && $0 != "--help" && $0 != "--version"
                }
                .flatMap { line.drop { $0 == " " }.hasPrefix("-") ? $0 : nil }
            }
            #expect(options.count > 20)
            for option in Set(options) {
                // mdoc writes `--policy` as `Fl -policy`, `-q, --quiet` as `Fl q , -quiet`.
                #expect(
                    manual.contains(" -\(option.dropFirst(2))\n") || manual.contains(" -\(option.dropFirst(2)) Ar"),
                    "\(option) not in docs/recon.1")
            }
        }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionsCompleteFilesAndValueSets(shell: String) throws {
        let script = try CommandRunner.recon(["--generate-completion-script", shell])
        #expect(script.status == 0)
        for option in ["--policy", "--exclude-file", "--waivers", "-oX"] {
            // fish names options without their dashes.
            let name = shell == "fish" ? "'\(option.drop { $0 == "-" })'" : option
            #expect(script.stdout.contains(name), "\(shell): \(option)")
        }
        for value in ["filtered", "medium", "jsonl"] { #expect(script.stdout.contains(value), "\(shell): \(value)") }
    }
}
