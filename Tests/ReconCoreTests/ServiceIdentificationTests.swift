import ReconTestSupport
import Testing

@testable import ReconCore

/// Realistic replies of real daemons, identified through the shipped `policies/services.rules`.
@Suite("Service identification with policies/services.rules")
struct ServiceIdentificationTests {
    /// One reply and what it should be identified as.
    struct Sample: Sendable, CustomTestStringConvertible {
        var label: String
        var probe = "banner"
        var port: UInt16 = 40000
        var bytes: [UInt8]
        var name: String
        var product: String?
        var version: String?
        var info: String?
        var hostname: String?
        var cpe: String?
        var confidence = 10
        var tunnel: Tunnel?

        var testDescription: String { label }
    }

    static let banners: [Sample] = [
        Sample(
            label: "OpenSSH on Debian", bytes: text("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), name: "ssh",
            product: "OpenSSH", version: "9.2p1", info: "Debian 2+deb12u3; protocol 2.0",
            cpe: "cpe:/a:openbsd:openssh:9.2p1"),
        Sample(
            label: "OpenSSH on Ubuntu", bytes: text("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n"), name: "ssh",
            product: "OpenSSH", version: "8.9p1", info: "Ubuntu 3ubuntu0.6; protocol 2.0"),
        Sample(
            label: "OpenSSH without comment", bytes: text("SSH-2.0-OpenSSH_9.6\r\n"), name: "ssh", product: "OpenSSH",
            version: "9.6", info: "protocol 2.0"),
        Sample(
            label: "Dropbear", bytes: text("SSH-2.0-dropbear_2022.83\r\n"), name: "ssh", product: "Dropbear sshd",
            version: "2022.83", info: "protocol 2.0", cpe: "cpe:/a:matt_johnston:dropbear_ssh_server:2022.83"),
        Sample(
            label: "Cisco SSH", bytes: text("SSH-1.99-Cisco-1.25\r\n"), name: "ssh", product: "Cisco SSH",
            version: "1.25", info: "protocol 1.99"),
        Sample(
            label: "unknown SSH server", bytes: text("SSH-2.0-SomethingNew_1.0\r\n"), name: "ssh", info: "protocol 2.0"),
        Sample(
            label: "vsftpd", bytes: text("220 (vsFTPd 3.0.3)\r\n"), name: "ftp", product: "vsftpd", version: "3.0.3",
            cpe: "cpe:/a:vsftpd:vsftpd:3.0.3"),
        Sample(
            label: "ProFTPD with version", bytes: text("220 ProFTPD 1.3.5e Server (Debian) [::ffff:127.0.0.1]\r\n"),
            name: "ftp", product: "ProFTPD", version: "1.3.5e", info: "Debian"),
        Sample(
            label: "ProFTPD without version",
            bytes: text("220 ProFTPD Server (ProFTPD Default Installation) [127.0.0.1]\r\n"), name: "ftp",
            product: "ProFTPD", info: "ProFTPD Default Installation", cpe: "cpe:/a:proftpd:proftpd"),
        Sample(
            label: "Pure-FTPd",
            bytes: text(
                "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
                    + "220-You are user number 1 of 50 allowed.\r\n220-Local time is now 10:00. Server port: 21.\r\n"
                    + "220 You will be disconnected after 15 minutes of inactivity.\r\n"),
            name: "ftp", product: "Pure-FTPd", info: "[privsep] [TLS]"),
        Sample(label: "generic FTP", bytes: text("220 Welcome to the FTP service.\r\n"), name: "ftp"),
        Sample(
            label: "bare 220 (vsftpd, ftpd_banner=Welcome)", bytes: text("220 Welcome\r\n"), name: "ftp", confidence: 5),
        Sample(
            label: "Postfix", bytes: text("220 mail.example ESMTP Postfix (Debian/GNU)\r\n"), name: "smtp",
            product: "Postfix smtpd", info: "Debian/GNU", hostname: "mail.example"),
        Sample(
            label: "Exim", bytes: text("220 mx.example.org ESMTP Exim 4.96 Tue, 04 Jun 2024 10:00:00 +0000\r\n"),
            name: "smtp", product: "Exim smtpd", version: "4.96", hostname: "mx.example.org",
            cpe: "cpe:/a:exim:exim:4.96"),
        Sample(
            label: "Sendmail",
            bytes: text(
                "220 host.example.com ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; Tue, 4 Jun 2024 10:00:00 GMT\r\n"),
            name: "smtp", product: "Sendmail", version: "8.17.1.9", hostname: "host.example.com"),
        Sample(
            label: "generic ESMTP", bytes: text("220 smtp.example.net ESMTP ready\r\n"), name: "smtp",
            hostname: "smtp.example.net"),
        Sample(
            label: "Postfix with $mail_version in its banner",
            bytes: text("220 mx.example ESMTP Postfix 3.7.11 (Debian/GNU)\r\n"), name: "smtp",
            product: "Postfix smtpd", version: "3.7.11", info: "Debian/GNU", hostname: "mx.example",
            cpe: "cpe:/a:postfix:postfix:3.7.11"),
        Sample(
            label: "Postfix, smtpd_banner without mail_name", bytes: text("220 recon-test.localdomain ESMTP\r\n"),
            name: "smtp", hostname: "recon-test.localdomain"),
        Sample(
            label: "Dovecot POP3", bytes: text("+OK Dovecot (Debian) ready.\r\n"), name: "pop3",
            product: "Dovecot pop3d", info: "Debian"),
        Sample(label: "Courier POP3", bytes: text("+OK Hello there.\r\n"), name: "pop3", product: "Courier pop3d"),
        Sample(label: "generic POP3", bytes: text("+OK POP3 server ready <1896.697@example.org>\r\n"), name: "pop3"),
        Sample(
            label: "bare +OK (Dovecot, custom greeting)", bytes: text("+OK Server ready.\r\n"), name: "pop3",
            confidence: 5),
        Sample(
            label: "Dovecot IMAP",
            bytes: text(
                "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] "
                    + "Dovecot (Debian) ready.\r\n"),
            name: "imap", product: "Dovecot imapd", info: "Debian", cpe: "cpe:/a:dovecot:dovecot"),
        Sample(
            label: "Courier IMAP",
            bytes: text(
                "* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT "
                    + "QUOTA IDLE ACL ACL2=UNION STARTTLS] Courier-IMAP ready. Copyright 1998-2018 Double Precision, "
                    + "Inc.  See COPYING for distribution information.\r\n"),
            name: "imap", product: "Courier Imapd"),
        Sample(
            label: "Dovecot with a custom greeting: its capability list names it (as nmap's rules do)",
            bytes: text(
                "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Server ready.\r\n"
            ),
            name: "imap", product: "Dovecot imapd", cpe: "cpe:/a:dovecot:dovecot"),
        Sample(
            label: "IMAP with another capability list",
            bytes: text("* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Server ready.\r\n"), name: "imap"),
        Sample(label: "bare * OK", bytes: text("* OK hello\r\n"), name: "imap", confidence: 5),
        Sample(
            label: "MariaDB 10 handshake", bytes: mysqlHandshake("5.5.5-10.11.6-MariaDB-0+deb12u1"), name: "mysql",
            product: "MariaDB", version: "10.11.6", info: "0+deb12u1", cpe: "cpe:/a:mariadb:mariadb:10.11.6"),
        Sample(
            label: "MariaDB 10.11 handshake as captured from Debian 12",
            bytes: [0x64, 0, 0, 0, 0x0A] + text("5.5.5-10.11.19-MariaDB-0+deb12u1") + [0, 0x0D, 0, 0, 0]
                + text("`tGGlm]j") + [
                    0, 0xFE, 0xF7, 0x08, 0x02, 0x00, 0xFF, 0x81, 0x15, 0, 0, 0, 0, 0, 0, 0x1D, 0, 0, 0,
                ]
                + text("|RbuE;7B%1e,") + [0] + text("mysql_native_password") + [0],
            name: "mysql", product: "MariaDB", version: "10.11.19", info: "0+deb12u1"),
        Sample(
            label: "MariaDB without version (--version=MariaDB)", bytes: mysqlHandshake("MariaDB"), name: "mysql",
            product: "MariaDB"),
        Sample(label: "MySQL protocol, unknown version text", bytes: mysqlHandshake("custom"), name: "mysql"),
        Sample(
            label: "MariaDB 11 handshake", bytes: mysqlHandshake("11.4.2-MariaDB-ubu2404"), name: "mysql",
            product: "MariaDB", version: "11.4.2", info: "ubu2404"),
        Sample(
            label: "MySQL 8 handshake", bytes: mysqlHandshake("8.0.36"), name: "mysql", product: "MySQL",
            version: "8.0.36", cpe: "cpe:/a:mysql:mysql:8.0.36"),
        Sample(
            label: "MySQL on Ubuntu", bytes: mysqlHandshake("8.0.36-0ubuntu0.22.04.1"), name: "mysql", product: "MySQL",
            version: "8.0.36", info: "0ubuntu0.22.04.1"),
        Sample(
            label: "MariaDB refusing the host",
            bytes: mysqlPacket(
                [0xFF, 0x6A, 0x04] + text("Host '172.17.0.1' is not allowed to connect to this MariaDB server")),
            name: "mysql", product: "MariaDB", info: "unauthorized"),
        Sample(
            label: "rsync", bytes: text("@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n"), name: "rsync",
            info: "protocol version 31.0"),
        Sample(label: "VNC", bytes: text("RFB 003.008\n"), name: "vnc", info: "protocol 3.8"),
        Sample(
            label: "BusyBox telnetd", bytes: [0xFF, 0xFD, 0x01, 0xFF, 0xFD, 0x1F, 0xFF, 0xFB, 0x01, 0xFF, 0xFB, 0x03],
            name: "telnet", product: "BusyBox telnetd"),
        Sample(
            label: "Linux telnetd", bytes: [0xFF, 0xFD, 0x18, 0xFF, 0xFD, 0x20, 0xFF, 0xFD, 0x23, 0xFF, 0xFD, 0x27],
            name: "telnet", product: "Linux telnetd"),
        Sample(label: "other telnet", bytes: [0xFF, 0xFB, 0x01, 0x0D, 0x0A], name: "telnet"),
        Sample(
            label: "IRC greeting", bytes: text(":irc.example.net NOTICE * :*** Looking up your hostname...\r\n"),
            name: "irc", hostname: "irc.example.net"),
        Sample(
            label: "IRC greeting (old style)", bytes: text("NOTICE AUTH :*** Looking up your hostname...\r\n"),
            name: "irc"),
        Sample(
            label: "ngircd registration", bytes: ircRegistration("ngircd-26.1"), name: "irc", product: "ngircd",
            version: "26.1", hostname: "irc.example.net"),
        Sample(
            label: "UnrealIRCd registration", bytes: ircRegistration("UnrealIRCd-6.1.4"), name: "irc",
            product: "UnrealIRCd", version: "6.1.4"),
        Sample(
            label: "InspIRCd registration", bytes: ircRegistration("InspIRCd-3"), name: "irc", product: "InspIRCd",
            version: "3"),
    ]

    static let probeReplies: [Sample] = [
        Sample(
            label: "Redis PONG", probe: "redis", port: 6379, bytes: text("+PONG\r\n"), name: "redis",
            product: "Redis key-value store", cpe: "cpe:/a:redis:redis"),
        Sample(
            label: "Redis with a password", probe: "redis", port: 6379,
            bytes: text("-NOAUTH Authentication required.\r\n"), name: "redis", product: "Redis key-value store",
            info: "authentication required"),
        Sample(
            label: "Redis in protected mode", probe: "redis", port: 6379,
            bytes: text("-DENIED Redis is running in protected mode because protected mode is enabled\r\n"),
            name: "redis", product: "Redis key-value store", info: "protected mode"),
        Sample(
            label: "Redis answering the HTTP probe", probe: "http",
            bytes: text("-ERR wrong number of arguments for 'get' command\r\n"), name: "redis",
            product: "Redis key-value store"),
        Sample(
            label: "Redis INFO server without a password", probe: "redis", port: 6379,
            bytes: text(
                "$290\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
                    + "redis_build_id:1\r\nredis_mode:standalone\r\nos:Linux 6.1.0 x86_64\r\narch_bits:64\r\n"),
            name: "redis", product: "Redis key-value store", version: "7.0.15",
            info: "standalone mode; Linux 6.1.0 x86_64",
            cpe: "cpe:/a:redis:redis:7.0.15"),
        Sample(
            label: "ngIRCd registration", probe: "irc", port: 42667,
            bytes: text(
                ":irc.example 001 recon :Welcome to the Internet Relay Network recon!~recon@127.0.0.1\r\n"
                    + ":irc.example 002 recon :Your host is irc.example, running version ngircd-26.1 (x86_64/pc/linux-gnu)\r\n"
            ),
            name: "irc", product: "ngircd", version: "26.1", hostname: "irc.example", cpe: "cpe:/a:barton:ngircd:26.1"),
        Sample(
            label: "IRC server refusing an HTTP request", probe: "http",
            bytes: text("ERROR :\"Oops, HTTP request received? This is IRC!\"\r\n"), name: "irc", confidence: 5),
        Sample(
            label: "PostgreSQL asking for SCRAM after the startup message", probe: "postgresql", port: 5432,
            bytes: text("N") + [0x52, 0, 0, 0, 0x17, 0, 0, 0, 0x0A] + text("SCRAM-SHA-256") + [0, 0],
            name: "postgresql", product: "PostgreSQL DB", info: "SSL not offered; SCRAM-SHA-256 authentication"),
        Sample(
            label: "PostgreSQL refusing the startup message", probe: "postgresql", port: 5432,
            bytes: text("NE") + [0, 0, 0, 0x60] + text("SFATAL\u{0}VFATAL\u{0}C28000\u{0}Mno pg_hba.conf entry\u{0}"),
            name: "postgresql", product: "PostgreSQL DB", info: "SSL not offered; 28000 no pg_hba.conf entry"),
        Sample(
            label: "Postfix EHLO extensions (greeting without the product)", probe: "smtp-ehlo", port: 25,
            bytes: text(
                "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
                    + "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n"),
            name: "smtp", product: "Postfix smtpd", hostname: "mx.example", cpe: "cpe:/a:postfix:postfix"),
        Sample(
            label: "nginx answering plain HTTP on its TLS port", probe: "http",
            bytes: text(
                "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n\r\n"
                    + "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>"),
            name: "http", product: "nginx", version: "1.22.1", cpe: "cpe:/a:igor_sysoev:nginx:1.22.1", tunnel: .ssl),
        Sample(
            label: "memcached", probe: "memcached", port: 11211, bytes: text("VERSION 1.6.18\r\n"), name: "memcached",
            product: "Memcached", version: "1.6.18", cpe: "cpe:/a:memcached:memcached:1.6.18"),
        Sample(
            label: "memcached answering a line", probe: "generic-lines", bytes: text("ERROR\r\nERROR\r\n"),
            name: "memcached", confidence: 5),
        Sample(
            label: "PostgreSQL without TLS", probe: "postgresql", port: 5432, bytes: text("N"), name: "postgresql",
            product: "PostgreSQL DB", info: "SSL not offered"),
        Sample(
            label: "PostgreSQL with TLS", probe: "postgresql", port: 5432, bytes: text("S"), name: "postgresql",
            product: "PostgreSQL DB", info: "SSL offered"),
        Sample(
            label: "BIND version", probe: "dns-version-bind", port: 53,
            bytes: versionBindReply("9.18.28-1~deb12u2-Debian"), name: "domain", product: "ISC BIND",
            version: "9.18.28-1~deb12u2", info: "Debian Linux", cpe: "cpe:/a:isc:bind:9.18.28"),
        Sample(
            label: "BIND version, upstream build", probe: "dns-version-bind", port: 53,
            bytes: versionBindReply("9.18.28-S1"), name: "domain", product: "ISC BIND",
            version: "9.18.28", info: "S1", cpe: "cpe:/a:isc:bind:9.18.28"),
        Sample(
            label: "dnsmasq version", probe: "dns-version-bind", port: 53, bytes: versionBindReply("dnsmasq-2.89"),
            name: "domain", product: "dnsmasq", version: "2.89"),
        Sample(
            label: "Unbound version", probe: "dns-version-bind", port: 53, bytes: versionBindReply("unbound 1.17.1"),
            name: "domain", product: "Unbound", version: "1.17.1"),
        Sample(
            label: "hidden DNS version", probe: "dns-version-bind", port: 53,
            bytes: versionBindReply("none of your business"),
            name: "domain", info: "version.bind: none of your business"),
        Sample(
            label: "MongoDB isMaster", probe: "mongodb", port: 27017, bytes: mongoReply(maxWireVersion: 21),
            name: "mongodb", product: "MongoDB", info: "wire version 21"),
        Sample(
            label: "MQTT accepted", probe: "mqtt", port: 1883, bytes: [0x20, 0x02, 0x00, 0x00], name: "mqtt",
            info: "connection accepted"),
        Sample(
            label: "Mosquitto telling its version", probe: "mqtt", port: 1883,
            bytes: [0x20, 0x02, 0x00, 0x00, 0x90, 0x03, 0x00, 0x01, 0x00, 0x31, 0x2D, 0x00, 0x13]
                + text("$SYS/broker/versionmosquitto version 2.0.18"),
            name: "mqtt", product: "Mosquitto", version: "2.0.18", info: "connection accepted",
            cpe: "cpe:/a:eclipse:mosquitto:2.0.18"),
        Sample(
            label: "MQTT not authorized", probe: "mqtt", port: 1883, bytes: [0x20, 0x02, 0x00, 0x05], name: "mqtt",
            info: "not authorized"),
        Sample(
            label: "OpenLDAP bind", probe: "ldap", port: 389,
            bytes: [0x30, 0x0C, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00], name: "ldap",
            info: "anonymous bind allowed"),
        Sample(
            label: "Active Directory bind (long lengths)", probe: "ldap", port: 389,
            bytes: [0x30, 0x84, 0, 0, 0, 0x10, 0x02, 0x01, 0x01, 0x61, 0x84, 0, 0, 0, 0x07, 0x0A, 0x01, 0x00]
                + [0x04, 0x00, 0x04, 0x00],
            name: "ldap", info: "anonymous bind allowed"),
        Sample(
            label: "LDAP bind refused", probe: "ldap", port: 389,
            bytes: [0x30, 0x0C, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0A, 0x01, 0x35, 0x04, 0x00, 0x04, 0x00], name: "ldap"),
        Sample(
            label: "RabbitMQ Connection.Start", probe: "amqp", port: 5672, bytes: rabbitStart(version: "3.12.1"),
            name: "amqp", product: "RabbitMQ", version: "3.12.1", info: "AMQP 0-9-1"),
        Sample(
            label: "AMQP protocol header", probe: "amqp", port: 5672, bytes: text("AMQP") + [0, 0, 9, 1], name: "amqp",
            info: "AMQP 0-9-1"),
        Sample(
            label: "AMQP 1.0 header", probe: "amqp", port: 5672, bytes: text("AMQP") + [0, 1, 0, 0], name: "amqp",
            info: "AMQP protocol 0 version 1.0.0"),
        Sample(
            label: "HTTP answering a blank line", probe: "generic-lines",
            bytes: text("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), name: "http"),
    ]

    static let httpReplies: [Sample] = [
        http(
            "nginx", server: "nginx/1.22.1", product: "nginx", version: "1.22.1",
            cpe: "cpe:/a:igor_sysoev:nginx:1.22.1"),
        http("nginx without version", server: "nginx", product: "nginx", cpe: "cpe:/a:igor_sysoev:nginx"),
        http("nginx on Ubuntu", server: "nginx/1.18.0 (Ubuntu)", product: "nginx", version: "1.18.0", info: "Ubuntu"),
        http(
            "Apache", server: "Apache/2.4.62 (Debian)", product: "Apache httpd", version: "2.4.62", info: "Debian",
            cpe: "cpe:/a:apache:http_server:2.4.62"),
        http(
            "Apache with modules", server: "Apache/2.4.58 (Unix) OpenSSL/3.0.13", product: "Apache httpd",
            version: "2.4.58", info: "Unix OpenSSL/3.0.13"),
        http("Apache, tokens off", server: "Apache", product: "Apache httpd"),
        http("lighttpd", server: "lighttpd/1.4.69", product: "lighttpd", version: "1.4.69"),
        http("Caddy", server: "Caddy", product: "Caddy httpd"),
        http(
            "Werkzeug", server: "Werkzeug/3.0.1 Python/3.11.2", product: "Werkzeug httpd", version: "3.0.1",
            info: "Python 3.11.2"),
        http(
            "Python http.server", server: "SimpleHTTP/0.6 Python/3.11.2", product: "SimpleHTTPServer", version: "0.6",
            info: "Python 3.11.2", cpe: "cpe:/a:python:python:3.11.2"),
        http("Jetty", server: "Jetty(9.4.53.v20231009)", product: "Jetty", version: "9.4.53.v20231009"),
        http("Coyote", server: "Apache-Coyote/1.1", product: "Apache Tomcat/Coyote JSP engine", version: "1.1"),
        http("gunicorn", server: "gunicorn", product: "Gunicorn"),
        http("gunicorn with version", server: "gunicorn/20.0.4", product: "Gunicorn", version: "20.0.4"),
        http(
            "IIS", server: "Microsoft-IIS/10.0", product: "Microsoft IIS httpd", version: "10.0",
            cpe: "cpe:/a:microsoft:internet_information_services:10.0"),
        http("Squid", server: "squid/5.7", name: "http-proxy", product: "Squid http proxy", version: "5.7"),
        Sample(
            label: "uvicorn (lower-case headers)", probe: "http",
            bytes: text("HTTP/1.1 404 Not Found\r\ndate: Tue, 04 Jun 2024 10:00:00 GMT\r\nserver: uvicorn\r\n\r\n"),
            name: "http", product: "Uvicorn"),
        Sample(
            label: "Express", probe: "http",
            bytes: text(
                "HTTP/1.1 404 Not Found\r\nX-Powered-By: Express\r\nContent-Security-Policy: default-src 'none'\r\n"
                    + "Content-Type: text/html; charset=utf-8\r\nContent-Length: 139\r\n\r\n<!DOCTYPE html>"),
            name: "http", product: "Node.js Express framework"),
        Sample(
            label: "Tomcat error page", probe: "http",
            bytes: text(
                "HTTP/1.1 404 \r\nContent-Type: text/html;charset=utf-8\r\nContent-Language: en\r\n\r\n"
                    + "<!doctype html><html lang=\"en\"><head><title>HTTP Status 404 – Not Found</title></head>"
                    + "<body><h1>HTTP Status 404 – Not Found</h1><hr class=\"line\" /><h3>Apache Tomcat/10.1.16</h3>"
                    + "</body></html>"),
            name: "http", product: "Apache Tomcat", version: "10.1.16", cpe: "cpe:/a:apache:tomcat:10.1.16"),
        Sample(
            label: "HTTP without Server", probe: "http",
            bytes: text("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello"), name: "http"),
        Sample(
            label: "MongoDB answering HTTP", probe: "http",
            bytes: text(
                "HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 85\r\n\r\n"
                    + "It looks like you are trying to access MongoDB over HTTP on the native driver port.\r\n"),
            name: "mongodb", product: "MongoDB"),
    ]

    @Test("banners", arguments: banners)
    func banner(sample: Sample) throws {
        try check(sample, method: .banner)
    }

    @Test("replies to custom probes", arguments: probeReplies)
    func probeReply(sample: Sample) throws {
        try check(sample, method: .probe)
    }

    @Test("HTTP responses", arguments: httpReplies)
    func httpReply(sample: Sample) throws {
        try check(sample, method: .probe)
    }

    @Test("HTTP rules also read replies through TLS")
    func https() throws {
        let reply = ProbeReply(
            probe: "tls-http", bytes: Self.text("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n"))
        let match = try #require(try Self.rules().identify(port: 443, replies: [reply], tunnel: nil))
        #expect(match.name == "http")
        #expect(match.product == "nginx")
        #expect(match.tunnel == .ssl)
        #expect(match.probe == "tls-http")
    }

    /// 1000 identifications, a tenth of them replies no rule knows (the slowest case), must
    /// take well under half a second in a release build.
    @Test func thousandIdentificationsAreFast() throws {
        let rules = try Self.rules()
        let unknown = [
            ProbeReply(probe: "banner", bytes: Self.text("Welcome to the example service, version 7\r\n")),
            ProbeReply(
                probe: "http",
                bytes: Self.text(
                    "HTTP/1.1 200 OK\r\nServer: ExampleServer/1.0\r\nContent-Type: text/html\r\n\r\n"
                        + String(repeating: "<p>Lorem ipsum dolor sit amet.</p>\n", count: 60))),
        ]
        let known = (Self.banners + Self.probeReplies + Self.httpReplies).map {
            ProbeReply(probe: $0.probe, bytes: $0.bytes)
        }
        let replies = (0..<1000).map { $0 % 10 == 0 ? unknown[$0 / 10 % 2] : known[$0 % known.count] }
        var identified = 0
        let elapsed = ContinuousClock().measure {
            for reply in replies where rules.identify(port: 40000, replies: [reply], tunnel: nil) != nil {
                identified += 1
            }
        }
        #expect(identified == 950)
        #if DEBUG
            #expect(elapsed < .seconds(20))
        #else
            #expect(elapsed < .milliseconds(500))
        #endif
    }

    private func check(_ sample: Sample, method: IdentificationMethod) throws {
        let rules = try Self.rules()
        let reply = ProbeReply(probe: sample.probe, bytes: sample.bytes)
        let match = try #require(rules.identify(port: sample.port, replies: [reply], tunnel: nil))
        #expect(match.name == sample.name)
        #expect(match.product == sample.product)
        #expect(match.version == sample.version)
        #expect(match.info == sample.info)
        if let hostname = sample.hostname { #expect(match.hostname == hostname) }
        if let cpe = sample.cpe { #expect(match.cpe.contains(cpe), "\(match.cpe)") }
        #expect(match.method == method)
        #expect(match.confidence == sample.confidence)
        #expect(match.probe == sample.probe)
        #expect(match.tunnel == sample.tunnel)
    }

    // MARK: - The rules file

    static func rules() throws -> ServiceRules {
        try loaded.get()
    }

    /// The built-in rules: `policies/services.rules` of this checkout, compiled in.
    private static let loaded = Result { () throws(ServiceRulesError) -> ServiceRules in try ServiceRules.builtIn() }

    @Test func builtInRulesAreTheShippedFile() throws {
        let file = try ServiceRules(contentsOf: CommandRunner.path("policies/services.rules"))
        let builtIn = try Self.rules()
        #expect(builtIn.matchCount == file.matchCount && builtIn.matchCount > 100)
        #expect(builtIn.customProbes.map(\.name) == file.customProbes.map(\.name))
        #expect(builtIn.portTable == file.portTable)
    }

    // MARK: - Replies

    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }

    static func http(
        _ label: String, server: String, name: String = "http", product: String, version: String? = nil,
        info: String? = nil, cpe: String? = nil
    ) -> Sample {
        let head =
            "HTTP/1.1 404 Not Found\r\nServer: \(server)\r\nDate: Tue, 04 Jun 2024 10:00:00 GMT\r\n"
            + "Content-Type: text/html\r\nContent-Length: 153\r\nConnection: close\r\n\r\n"
        let body = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n</body>\r\n</html>\r\n"
        return Sample(
            label: label, probe: "http", bytes: text(head + body), name: name, product: product, version: version,
            info: info, cpe: cpe)
    }

    /// A MySQL protocol packet: 3-byte little-endian length, sequence 0, payload.
    static func mysqlPacket(_ payload: [UInt8]) -> [UInt8] {
        [UInt8(payload.count & 0xFF), UInt8(payload.count >> 8 & 0xFF), 0, 0] + payload
    }

    /// A protocol-10 handshake as MySQL and MariaDB send it on connect.
    static func mysqlHandshake(_ version: String) -> [UInt8] {
        var payload: [UInt8] = [0x0A] + text(version) + [0]
        payload += [0x2A, 0x00, 0x00, 0x00] + text("a$c&e!g7") + [0]  // thread id, scramble part 1
        payload += [0xFE, 0xF7, 0x2D, 0x02, 0x00, 0xFF, 0x81, 0x15] + [UInt8](repeating: 0, count: 10)
        payload += text("Z9;x\\k)Q0.v{") + [0] + text("mysql_native_password") + [0]
        return mysqlPacket(payload)
    }

    static func ircRegistration(_ version: String) -> [UInt8] {
        text(
            ":irc.example.net NOTICE * :*** Looking up your hostname...\r\n"
                + ":irc.example.net 001 recon :Welcome to the Internet Relay Network recon!~recon@localhost\r\n"
                + ":irc.example.net 002 recon :Your host is irc.example.net, running version \(version)\r\n")
    }

    /// A DNS-over-TCP answer to recon's version.bind CH TXT query (id 6).
    static func versionBindReply(_ version: String) -> [UInt8] {
        var message: [UInt8] = [0x00, 0x06, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]
        message += [7] + text("version") + [4] + text("bind") + [0, 0x00, 0x10, 0x00, 0x03]
        message += [0xC0, 0x0C, 0x00, 0x10, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00]
        message += [UInt8((version.utf8.count + 1) >> 8), UInt8((version.utf8.count + 1) & 0xFF)]
        message += [UInt8(version.utf8.count)] + text(version)
        return [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    private static func littleEndian(_ value: Int) -> [UInt8] {
        [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) }
    }

    /// An OP_MSG reply to request 1 with an isMaster document.
    static func mongoReply(maxWireVersion: Int) -> [UInt8] {
        var elements: [UInt8] = [0x08] + text("ismaster") + [0, 1]
        elements += [0x10] + text("maxBsonObjectSize") + [0] + littleEndian(16_777_216)
        elements += [0x10] + text("minWireVersion") + [0] + littleEndian(0)
        elements += [0x10] + text("maxWireVersion") + [0] + littleEndian(maxWireVersion)
        elements += [0x01] + text("ok") + [0, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F]
        let document = littleEndian(elements.count + 5) + elements + [0]
        let body = [0, 0, 0, 0, 0] + document
        return littleEndian(body.count + 16) + littleEndian(77) + littleEndian(1) + littleEndian(2013) + body
    }

    /// A RabbitMQ Connection.Start frame with some server properties.
    static func rabbitStart(version: String) -> [UInt8] {
        func longString(_ key: String, _ value: String) -> [UInt8] {
            [UInt8(key.utf8.count)] + text(key) + text("S") + littleEndian(value.utf8.count).reversed() + text(value)
        }
        let table =
            longString("cluster_name", "rabbit@host") + longString("copyright", "Copyright (c) 2007-2023 VMware")
            + longString("platform", "Erlang/OTP 25.3") + longString("product", "RabbitMQ")
            + longString("version", version)
        var method: [UInt8] = [0x00, 0x0A, 0x00, 0x0A, 0x00, 0x09] + littleEndian(table.count).reversed() + table
        method += littleEndian(14).reversed() + text("AMQPLAIN PLAIN") + littleEndian(5).reversed() + text("en_US")
        return [0x01, 0x00, 0x00] + littleEndian(method.count).reversed() + method + [0xCE]
    }
}
