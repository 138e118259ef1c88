import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// recon on a terminal (a pseudo-terminal made by `script`) and off it: progress, open ports as
/// they are found, colour, 80 columns; and none of it where output is redirected.
@Suite("On a terminal")
struct TerminalTests {
    /// Runs recon with `arguments` on a pseudo-terminal of 80 columns; its screen is the stdout.
    static func onTerminal(_ arguments: [String], environment: String = "") throws -> RunningCommand {
        let quoted = ([CommandRunner.reconBinary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try CommandRunner.start(
            "/usr/bin/script", ["-qfc", "stty cols 80; \(environment) exec \(quoted)", "/dev/null"])
    }

    @Test func progressShowsAPercentWithinThreeSeconds() throws {
        let scan = try Self.onTerminal(["scan", "127.0.0.1", "-", "--rate", "4000", "-o", "/dev/null"])
        let deadline = Date().addingTimeInterval(3)
        var screen = ""
        while Date() < deadline && !screen.contains("%") {
            usleep(50_000)
            screen = scan.stdoutSoFar
        }
        scan.signal(SIGINT)
        _ = try scan.finish(timeout: 10)
        #expect(screen.range(of: #"connect \d+% \d+/65535 ports"#, options: .regularExpression) != nil, "\(screen)")
        #expect(screen.contains("\r\u{1B}[K"), "a status line redrawn in place")
    }

    @Test func redirectedStandardErrorGetsPlainLinesOnlyWhenAsked() throws {
        let quiet = try CommandRunner.recon(["scan", "127.0.0.1", "1-2000", "--rate", "2000", "-o", "/dev/null"])
        #expect(quiet.stderr.isEmpty, "no progress when standard error is not a terminal")
        let stats = try CommandRunner.recon([
            "scan", "127.0.0.1", "1-2000", "--rate", "2000", "--stats-every", "200ms", "-o", "/dev/null",
        ])
        #expect(stats.status == 0)
        let lines = stats.stderr.split(separator: "\n")
        #expect(lines.count >= 2, "\(stats.stderr)")
        #expect(lines.allSatisfy { $0.hasPrefix("recon: connect ") || $0.hasPrefix("recon: done") })
        #expect(!stats.stderr.contains("\r") && !stats.stderr.contains("\u{1B}"))
        let silenced = try CommandRunner.recon([
            "scan", "127.0.0.1", "1-2000", "--rate", "2000", "--stats-every", "200ms", "-q", "-o", "/dev/null",
        ])
        #expect(silenced.stderr.isEmpty)
    }

    @Test func openPortsAppearAsFoundAndTheTableIsColouredAndFitsTheTerminal() throws {
        let listener = TestSocket()
        let services = try HostileServices(["stream"])
        let ports = "1-3000,\(listener.port),\(services.ports["stream"]!)"
        let scan = try Self.onTerminal(["scan", "--banner", "127.0.0.1", ports], environment: "unset NO_COLOR;")
        let result = try scan.finish(timeout: 30)
        let screen = result.stdout
        #expect(screen.contains("open \(listener.port)/tcp on 127.0.0.1"), "\(screen)")
        #expect(screen.contains("\u{1B}[32m\(listener.port)/tcp"), "open rows in green")
        // The stream service's 4 KiB banner is cut to the terminal's 80 columns.
        let lines = screen.replacingOccurrences(of: "\r", with: "").split(separator: "\n")
        let banner = try #require(lines.first { $0.contains("banner: AAAA") })
        #expect(banner.count <= 80 && banner.hasSuffix("..."), "\(banner.count): \(banner)")

        let plain = try Self.onTerminal(["scan", "127.0.0.1", "\(listener.port)"], environment: "export NO_COLOR=1;")
        #expect(!(try plain.finish(timeout: 30)).stdout.contains("\u{1B}[32m"))
        let noColour = try Self.onTerminal(
            ["scan", "127.0.0.1", "\(listener.port)", "--no-color"], environment: "unset NO_COLOR;")
        #expect(!(try noColour.finish(timeout: 30)).stdout.contains("\u{1B}[32m"))
        // Redirected, the same banner is whole (up to the 1 KiB a table shows of any reply).
        let piped = try CommandRunner.recon(["scan", "--banner", "127.0.0.1", "\(services.ports["stream"]!)"])
        #expect(piped.lines.contains { $0.contains("banner: AAAA") && $0.count > 1000 })
        #expect(!piped.stdout.contains("\u{1B}"))
    }
}
