#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus, Fuzz/corpus/TARGET/, from what the repository already has:
the files of policies/, the replies of Tests/fixtures/hostile.py, and the string literals of the
tests that exercise each parser. Run it again after adding tests or rules; it replaces every
`seed-*` file and leaves any other file (such as a crashing input added by hand) alone.

    python3 Fuzz/seed-corpus.py
"""
import hashlib
import importlib.util
import pathlib
import re
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"
MAX_SEED = 4096  # bytes; larger texts are split into sections first


def swift_literals(path):
    """The string literals of a Swift file, escapes decoded, each interpolation replaced by '1'."""
    text = path.read_text()
    found = []
    pattern = re.compile(r'(#*)("""|")')
    index = 0
    while True:
        match = pattern.search(text, index)
        if not match:
            return found
        hashes, quote = match.group(1), match.group(2)
        start = match.end()
        close = quote + hashes
        end = start
        while True:
            end = text.find(close, end)
            if end < 0:
                return found
            if not hashes and text[end - 1] == "\\" and not text[end - 2:end] == "\\\\":
                end += 1
                continue
            break
        body = text[start:end]
        index = end + len(close)
        if quote == '"' and "\n" in body:
            continue  # not a literal after all (a quote inside a comment, say)
        if quote == '"""':
            lines = body.split("\n")[1:]
            indent = len(lines[-1]) - len(lines[-1].lstrip(" ")) if lines else 0
            body = "\n".join(line[indent:] for line in lines[:-1])
        found.append(decode(body, raw=bool(hashes), hashes=hashes))


def decode(body, raw, hashes):
    escape = "\\" + hashes
    out, i = [], 0
    while i < len(body):
        if body.startswith(escape, i):
            j = i + len(escape)
            c = body[j:j + 1]
            if c == "(":  # interpolation: skip to the matching parenthesis
                depth, j = 1, j + 1
                while j < len(body) and depth:
                    depth += {"(": 1, ")": -1}.get(body[j], 0)
                    j += 1
                out.append("1")
                i = j
                continue
            simple = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
            if c in simple:
                out.append(simple[c])
                i = j + 1
                continue
            if c == "u" and body[j + 1:j + 2] == "{":
                close = body.index("}", j)
                out.append(chr(int(body[j + 2:close], 16)))
                i = close + 1
                continue
            if c == "\n":  # line continuation in a multi-line literal
                i = j + 1
                continue
        out.append(body[i])
        i += 1
    return "".join(out)


def literals(*names, keep=lambda s: True):
    result = []
    for name in names:
        for path in sorted((ROOT / "Tests").glob(f"*/{name}")):
            result += [s for s in swift_literals(path) if s.strip() and keep(s)]
    return result


def sections(text, starts):
    """The text cut before every line that starts with one of `starts` (comment lines dropped)."""
    parts, current = [], []
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("#"):
            continue
        if line.startswith(starts) and any(l.strip() for l in current):
            parts.append("".join(current))
            current = []
        current.append(line)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def hostile():
    spec = importlib.util.spec_from_file_location("hostile", ROOT / "Tests" / "fixtures" / "hostile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tls_server_hello(version=0x0303, cipher=0xC02F, session=32, extensions=b"", record_version=0x0303):
    body = struct.pack(">H", version) + bytes(range(32)) + bytes([session]) + bytes(session)
    body += struct.pack(">HB", cipher, 0)
    if extensions is not None:
        body += struct.pack(">H", len(extensions)) + extensions
    handshake = b"\x02" + struct.pack(">I", len(body))[1:] + body
    return b"\x16" + struct.pack(">HH", record_version, len(handshake)) + handshake


def tls_seeds():
    supported_13 = struct.pack(">HHH", 43, 2, 0x0304)
    key_share = struct.pack(">HH", 51, 36) + struct.pack(">HH", 29, 32) + bytes(32)
    renegotiation = struct.pack(">HHB", 0xFF01, 1, 0)
    hellos = [
        tls_server_hello(),
        tls_server_hello(extensions=renegotiation),
        tls_server_hello(version=0x0303, cipher=0x1301, extensions=supported_13 + key_share),
        tls_server_hello(version=0x0303, cipher=0x1302, extensions=key_share + supported_13),
        tls_server_hello(version=0x0300, cipher=0x002F, session=0, extensions=None, record_version=0x0300),
        tls_server_hello(version=0x0301, cipher=0xC013, session=0),
        tls_server_hello(cipher=0xABCD, extensions=struct.pack(">HH", 43, 4) + b"\x03\x04\x03\x03"),
    ]
    return hellos + [hellos[2][:60], hellos[0] + b"\x16\x03\x03\x00\x04\x0b\x00\x00\x00"]


def packet_seeds():
    link = {"null": 0, "ethernet": 1, "raw": 2, "rawBSD": 3, "rawLinktype": 4, "loop": 5, "linuxSLL": 6,
            "linuxSLL2": 7}

    def tcp(flags, options=False):
        header = bytes([0x9C, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x80 if options else 0x50, flags, 0xFF, 0xFF,
                        0, 0, 0, 0])
        return header + (bytes([1] * 12) if options else b"")

    def ipv4(segment, payload=0, option_words=0, fragment=0):
        length = 20 + option_words * 4
        total = length + len(segment) + payload
        header = bytes([0x40 | (5 + option_words), 0]) + struct.pack(">HHH", total, 0, fragment)
        header += bytes([64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2]) + bytes([1] * option_words * 4)
        return header + segment + bytes(payload)

    def ipv6(segment, payload=0, extensions=bytes([60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0]), first=0):
        length = len(extensions) + len(segment) + payload
        header = bytes([0x60, 0, 0, 0]) + struct.pack(">H", length) + bytes([first or (60 if extensions else 6), 63])
        header += bytes(15) + b"\x01" + bytes(15) + b"\x02"
        return header + extensions + segment + bytes(payload)

    ether4, ether6 = bytes(12) + b"\x08\x00", bytes(12) + b"\x86\xdd"
    vlan = bytes(12) + b"\x81\x00\x00\x05\x86\xdd"
    qinq = bytes(12) + b"\x88\xa8\x00\x05\x81\x00\x00\x06\x08\x00"
    packet = ipv4(tcp(0x02))
    return [
        bytes([link["ethernet"]]) + ether4 + ipv4(tcp(0x12, options=True), payload=7, option_words=2),
        bytes([link["ethernet"]]) + vlan + ipv6(tcp(0x02), payload=3),
        bytes([link["ethernet"]]) + qinq + ipv4(tcp(0x14)),
        bytes([link["ethernet"]]) + ether6 + ipv6(tcp(0x11), extensions=bytes([6, 0, 0, 1, 0, 0, 0, 0]), first=44),
        bytes([link["ethernet"]]) + ether6 + ipv6(tcp(0x18), extensions=bytes([6, 1]) + bytes(6), first=51),
        bytes([link["linuxSLL"]]) + bytes(14) + b"\x08\x00" + ipv4(tcp(0x14)),
        bytes([link["linuxSLL2"]]) + b"\x86\xdd" + bytes(18) + ipv6(tcp(0x11)),
        bytes([link["raw"]]) + packet,
        bytes([link["rawBSD"]]) + ipv4(tcp(0x04), fragment=0x2000),
        bytes([link["rawLinktype"]]) + ipv6(tcp(0x10)),
        bytes([link["null"]]) + b"\x02\x00\x00\x00" + packet,
        bytes([link["loop"]]) + b"\x00\x00\x00\x02" + packet,
        bytes([link["raw"]]) + packet[:30],
        bytes([link["raw"]]) + ipv4(tcp(0x02), fragment=0x0010),
    ]


def http_seeds():
    module = hostile()
    seeds = [s for s in literals("HTTPResponseTests.swift", "ProbeTests.swift") if s.startswith("HTTP/")]
    for titled in literals("HTTPResponseTests.swift", keep=lambda s: "<title" in s.lower()):
        seeds.append("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + titled)
    raw = [s.encode() for s in seeds]
    raw.append(module.http_response(b"200 OK", [b"Server: hostile"], module.PAGE))
    for mode, (headers, not_found) in sorted(module.WEBAPPS.items()):
        raw.append(module.webapp_response(b"GET / HTTP/1.1", list(headers), not_found))
        raw.append(module.webapp_response(b"GET /.recon-audit-not-found HTTP/1.1", list(headers), not_found))
        raw.append(module.webapp_response(b"HEAD / HTTP/1.1", list(headers), not_found))
    raw.append(b"HTTP/1.1 200 OK\r\nServer: Caf\xe9\r\n\r\n")
    return raw


def nmap_xml_seeds():
    """recon's XML (the golden file), an nmap-shaped one, and the hostile shapes the tests use."""
    golden = (ROOT / "Tests" / "golden" / "report.xml").read_text()
    nmap = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n'
        '<nmaprun scanner="nmap" args="nmap -sT -Pn -n -p 1-100 127.0.0.1 -oX a.xml" start="1700000000" '
        'startstr="Tue Nov 14 22:13:20 2023" version="7.93" xmloutputversion="1.05">\n'
        '<scaninfo type="connect" protocol="tcp" numservices="100" services="1-100"/>\n'
        '<host starttime="1700000000" endtime="1700000001"><status state="up" reason="user-set" reason_ttl="0"/>\n'
        '<address addr="127.0.0.1" addrtype="ipv4"/><hostnames><hostname name="localhost" type="user"/></hostnames>\n'
        '<ports><extraports state="closed" count="98">\n'
        '<extrareasons reason="conn-refused" count="98" proto="tcp" ports="1-21,23-79,81-100"/></extraports>\n'
        '<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="0"/>'
        '<service name="ssh" product="OpenSSH" version="9.2p1" method="probed" conf="10">'
        '<cpe>cpe:/a:openbsd:openssh:9.2p1</cpe></service>'
        '<script id="banner" output="SSH-2.0-OpenSSH_9.2p1\\x0D"/></port>\n'
        '<port protocol="tcp" portid="80"><state state="filtered" reason="no-response" reason_ttl="0"/>'
        '<service name="http" method="table" conf="3"/></port>\n'
        '</ports><times srtt="45" rttvar="5000" to="100000"/></host>\n'
        '<runstats><finished time="1700000001" timestr="x" elapsed="0.10" summary="x" exit="success"/>'
        '<hosts up="1" down="0" total="1"/></runstats></nmaprun>\n'
    )
    laughs = '<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><nmaprun args="&b;"/>'
    external = '<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/hostname">]><nmaprun>&x;</nmaprun>'
    return [golden, nmap, laughs, external, "<nmaprun/>", "<foo/>", nmap[: len(nmap) // 2]]


def write(target, seeds):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    unique = {}
    for seed in seeds:
        data = seed if isinstance(seed, bytes) else seed.encode()
        if data and len(data) <= MAX_SEED:
            unique[hashlib.sha1(data).hexdigest()[:16]] = data
    for name, data in sorted(unique.items()):
        (folder / f"seed-{name}").write_bytes(data)
    print(f"{target}: {len(unique)} seeds")


def main():
    policies = ROOT / "policies"
    port_lists = literals("PortListTests.swift") + ["1-1024\n22,80", "-\n1-1023", "22,80,8000-8100\n80", "1-10\n2,5-9"]
    write("port-list", port_lists)

    scope = literals("ScopeTests.swift")
    write("targets", scope + ["\n".join(scope), "127.0.0.1 ::1 # loopback\n127.0.0.0/30\tlocalhost\r\nbox.test\n"])

    policy = (policies / "own-hosts.policy").read_text()
    rules = [s for s in scope if s.lstrip().startswith(("allow", "deny", "permit", "#"))]
    uncommented = re.sub(r"^# (allow|deny)", r"\1", policy, flags=re.M)
    write("scope-policy", [policy, uncommented] + rules + ["allow ::ffff:10.0.0.0/104\ndeny 10.0.0.7\nallow ::/0"])

    services = (policies / "services.rules").read_text()
    service_tests = literals(
        "ServiceRulesTests.swift", "ServiceIdentificationTests.swift", "ServicePatternPrefilterTests.swift",
        "ServiceBytesTests.swift", keep=lambda s: re.search(r"^\s*(probe|match|softmatch|port)\b", s, re.M))
    write("service-rules", sections(services, ("probe ",)) + service_tests)

    audit = (policies / "audit.rules").read_text()
    audit_tests = literals("AuditRulesTests.swift", "AuditTests.swift",
                           keep=lambda s: re.search(r"^\s*(rule|request|severity|inspect)\b", s, re.M))
    write("audit-rules", sections(audit, ("rule ", "request ")) + audit_tests)

    waivers = (policies / "audit-waivers.example").read_text()
    write("waivers", [waivers] + literals("AuditTests.swift", "AuditRulesTests.swift", keep=lambda s: "waive" in s))

    nmap = literals("ServiceNmapProbesTests.swift", keep=lambda s: "Probe" in s or "match" in s)
    write("nmap-service-probes", nmap + [s for n in nmap for s in sections(n, ("Probe ",))])

    write("http-response", http_seeds())
    write("nmap-xml", nmap_xml_seeds())
    write("tls-server-hello", tls_seeds())
    write("packet-decoder", packet_seeds())


if __name__ == "__main__":
    main()
