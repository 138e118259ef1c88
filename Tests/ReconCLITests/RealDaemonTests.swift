import Foundation
import ReconCore
import ReconTestSupport
import Testing

/// recon against real daemons from Debian (OpenSSH, nginx, Apache, Postfix, vsftpd, Redis,
/// memcached, MariaDB, PostgreSQL, Dovecot, Mosquitto) on loopback high ports.
@Suite(
    "Real daemons", .serialized, .enabled(if: RealDaemons.available, "needs root and Tests/daemons/daemons.sh install"))
struct RealDaemonTests {
    @Test func identifiesStockDaemons() throws {
        let daemons = try RealDaemons(mode: "stock")
        defer { daemons.stop() }
        let ports = RealDaemons.ports.values.sorted().map(String.init).joined(separator: ",")
        let result = try CommandRunner.recon(["scan", "--banner", "127.0.0.1", ports, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try CommandRunner.schemaViolation(json: result.stdout) == nil)
        let report = try JSONDecoder().decode(ScanReport.self, from: Data(result.stdout.utf8))
        #expect(report.run.elapsedSeconds < 3, "probing real daemons took \(report.run.elapsedSeconds) s")
        let byPort = Dictionary(uniqueKeysWithValues: report.hosts[0].ports.map { ($0.port, $0) })
        func service(_ name: String) -> ServiceMatch? { byPort[Int(RealDaemons.ports[name]!)]?.service }

        let expectations: [(daemon: String, service: String, product: String?, hasVersion: Bool)] = [
            ("ssh", "ssh", "OpenSSH", true),
            ("vsftpd", "ftp", "vsftpd", true),
            ("postfix", "smtp", "Postfix smtpd", false),
            ("nginx", "http", "nginx", true),
            ("apache", "http", "Apache httpd", true),
            ("redis", "redis", "Redis key-value store", false),
            ("memcached", "memcached", "Memcached", true),
            ("mariadb", "mysql", "MariaDB", true),
            ("postgresql", "postgresql", "PostgreSQL DB", false),
            ("imap", "imap", "Dovecot imapd", false),
            ("pop3", "pop3", "Dovecot pop3d", false),
            // The test broker refuses anonymous clients: its CONNACK names no product.
            ("mosquitto", "mqtt", nil, false),
        ]
        var failures: [String] = []
        for expected in expectations {
            let found = service(expected.daemon)
            let productMatches = expected.product.map { found?.product?.hasPrefix($0) == true } ?? true
            if found?.name != expected.service || !productMatches
                || (expected.hasVersion && found?.version == nil) || found?.method == "port-table"
            {
                failures.append("\(expected.daemon): expected \(expected), found \(String(describing: found))")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(service("ssh")?.version?.hasPrefix("9.") == true)
        #expect(service("nginx")?.cpe.first?.hasPrefix("cpe:/a:igor_sysoev:nginx:") == true)
    }
}
