import Foundation

/// The services of `Tests/fixtures/hostile.py` (banner, stream, drip, reset, garbage, bigheader,
/// http, tls, silent, trickle, the audit's disclosing services with their hardened twins: webapp,
/// irc, dns, mysql, proftpd, exim, tls-widgits, the regex-hostile http-dotted, http-server-at,
/// dashes, a50, and terminal) on ephemeral 127.0.0.1 ports; stopped on deinit.
public final class HostileServices: @unchecked Sendable {
    /// Port of each mode started.
    public let ports: [String: UInt16]
    private let process: RunningCommand

    /// Starts one listener per mode (on the loopback of `namespace` when given) and waits (up to
    /// 10 s) until hostile.py has printed every port.
    public init(_ modes: [String], in namespace: NetworkNamespace? = nil) throws {
        let command = ["python3", CommandRunner.path("Tests/fixtures/hostile.py")] + modes
        if let namespace {
            process = try CommandRunner.start("/usr/sbin/ip", ["netns", "exec", namespace.name] + command)
        } else {
            process = try CommandRunner.start("/usr/bin/env", command)
        }
        let deadline = Date().addingTimeInterval(10)
        var text = process.stdoutSoFar
        while !text.contains("READY\n") && Date() < deadline && !process.hasExited {
            usleep(20_000)
            text = process.stdoutSoFar
        }
        var ports: [String: UInt16] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, let port = UInt16(words[1]) { ports[String(words[0])] = port }
        }
        guard text.contains("READY\n"), modes.allSatisfy({ ports[$0] != nil }) else {
            process.signal(SIGTERM)
            let result = try? process.finish(timeout: 2)
            throw TestSetupError("hostile.py did not start: \(text)\(result?.stderr ?? "")")
        }
        self.ports = ports
    }

    /// The ports of `modes`, in that order, as a recon port list ("4242,4243").
    public func portList(_ modes: [String]) -> String {
        modes.map { String(ports[$0]!) }.joined(separator: ",")
    }

    deinit {
        process.signal(SIGTERM)
        _ = try? process.finish(timeout: 5)
    }
}
