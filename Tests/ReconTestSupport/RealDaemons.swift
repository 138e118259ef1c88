import Foundation

/// Real Debian daemons on fixed 127.0.0.1 high ports, started by `Tests/daemons/daemons.sh` in a
/// throw-away folder and stopped (by their PID files) on `stop()`.
public final class RealDaemons: @unchecked Sendable {
    /// Ports `daemons.sh` uses.
    public static let ports: [String: UInt16] = [
        "ssh": 42022, "nginx": 42080, "apache": 42081, "postfix": 42025, "vsftpd": 42021, "redis": 42379,
        "memcached": 42211, "mariadb": 42306, "postgresql": 42432, "imap": 42143, "pop3": 42110,
        "mosquitto": 41883, "mosquitto-anon": 41884, "bind": 42053, "ngircd": 42667, "lighttpd": 42082,
        "squid": 43128, "rsync": 42873, "telnetd": 42023, "nginx-https": 42443, "postfix-smtps": 42465,
        "imaps": 42993, "pop3s": 42995,
    ]

    /// Every daemon port, ascending, as a recon port list.
    public static var portList: String {
        ports.values.sorted().map(String.init).joined(separator: ",")
    }

    /// True where the daemons are installed and can be started (root, as in CI after the README's
    /// test command has run `daemons.sh install`).
    public static var available: Bool {
        getuid() == 0
            && ["/usr/sbin/sshd", "/usr/sbin/nginx", "/usr/sbin/apache2", "/usr/sbin/postfix", "/usr/sbin/vsftpd"]
                .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var script: String { CommandRunner.path("Tests/daemons/daemons.sh") }

    public let folder: String

    /// Starts every daemon in `mode` (`stock` or `hardened`).
    public init(mode: String) throws {
        folder = "/tmp/recon-daemons-\(getpid())-\(mode)"
        let result = try CommandRunner.run("/bin/bash", [Self.script, "start", folder, mode], timeout: 120)
        guard result.status == 0 else {
            Self.stop(folder)
            throw TestSetupError("daemons.sh start failed:\n\(result.stdout + result.stderr)")
        }
    }

    /// Stops the daemons and removes the folder.
    public func stop() {
        Self.stop(folder)
        try? FileManager.default.removeItem(atPath: folder)
    }

    private static func stop(_ folder: String) {
        _ = try? CommandRunner.run("/bin/bash", [script, "stop", folder], timeout: 60)
    }
}
