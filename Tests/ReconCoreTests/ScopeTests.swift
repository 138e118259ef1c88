import Testing

@testable import ReconCore

@Suite("Addresses and CIDR blocks")
struct AddressTests {
    @Test(arguments: ["127.0.0.1", "::1", "10.1.2.3", "2001:db8::5", "fe80::1"])
    func roundTrip(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == text)
    }

    @Test func mappedIPv6IsIPv4() throws {
        #expect(IPAddress("::ffff:127.0.0.1") == IPAddress("127.0.0.1"))
        #expect(IPAddress("::ffff:10.0.0.1") == .v4(0x0A00_0001))
    }

    @Test(arguments: ["", "localhost", "256.1.1.1", "1.2.3", "::g", "127.0.0.1 ", "10.0.0.1\u{0}junk", "::1\u{0}"])
    func notLiterals(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func blocks() throws {
        let block = try #require(CIDRBlock("127.0.0.0/29"))
        #expect(block.size == 8)
        #expect(block.addresses().map(\.description).last == "127.0.0.7")
        #expect(block.contains(IPAddress("127.0.0.7")!))
        #expect(!block.contains(IPAddress("127.0.0.8")!))
        #expect(try #require(CIDRBlock("10.9.8.7/8")).description == "10.0.0.0/8")
        #expect(try #require(CIDRBlock("::ffff:10.0.0.0/104")).description == "10.0.0.0/8")
        #expect(try #require(CIDRBlock("::/0")).contains(IPAddress("2001:db8::1")!))
        #expect(!(try #require(CIDRBlock("::/0")).contains(IPAddress("10.0.0.1")!)))
        #expect(CIDRBlock("10.0.0.0/33") == nil)
        #expect(CIDRBlock("10.0.0.0/") == nil)
        #expect(CIDRBlock("10.0.0.0/8/8") == nil)
        for spelling in ["10.0.0.0/+8", "10.0.0.0/08", "10.0.0.0/-8", "10.0.0.0/8 ", "10.0.0.0/٨", "10.0.0.0/0008"] {
            #expect(CIDRBlock(spelling) == nil, "\(spelling)")
        }
        #expect(CIDRBlock("0.0.0.0/0")?.isWide == true)
        #expect(CIDRBlock("10.0.0.0/8")?.isWide == false)
    }
}

@Suite("Scope policy")
struct ScopePolicyTests {
    static let interfaces = [InterfaceAddress(name: "eth0", address: IPAddress("192.0.2.10")!)]
    let policy = ScopePolicy.embeddedDefault(interfaceAddresses: interfaces)

    @Test(
        "the embedded default allows loopback and own interfaces",
        arguments: ["127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1", "192.0.2.10"])
    func allowed(text: String) {
        #expect(policy.decide(IPAddress(text)!).allowed)
    }

    @Test(
        "everything else is refused",
        arguments: ["10.0.0.1", "8.8.8.8", "192.0.2.11", "::ffff:10.0.0.1", "::2", "0.0.0.0", "::", "2001:db8::1"])
    func refused(text: String) {
        let decision = policy.decide(IPAddress(text)!)
        #expect(!decision.allowed)
        #expect(decision.rule == nil)
    }

    @Test func denyWinsOverAllow() throws {
        let file = try PolicyFile(path: "p", text: "deny 127.0.0.53\nallow 198.51.100.0/24\ndeny 198.51.100.7")
        let combined = policy.adding(file)
        #expect(!combined.decide(IPAddress("127.0.0.53")!).allowed)
        #expect(combined.decide(IPAddress("127.0.0.54")!).allowed)
        #expect(combined.decide(IPAddress("198.51.100.6")!).allowed)
        let denied = combined.decide(IPAddress("198.51.100.7")!)
        #expect(!denied.allowed)
        #expect(denied.rule?.origin == "p:3")
        #expect(combined.sources == ["embedded default", "p"])
    }

    @Test func hostNameAllowedOnlyIfEveryAddressIs() throws {
        let resolver = TargetResolver(lookup: { name throws(TargetError) in
            name == "mixed.test" ? [IPAddress("127.0.0.1")!, IPAddress("203.0.113.9")!] : [IPAddress("::1")!]
        })
        let mixed = try resolver.resolve(["mixed.test"])
        #expect(throws: ScopeRefusal.self) { try policy.authorize(mixed) }
        do {
            _ = try policy.authorize(mixed)
        } catch {
            #expect(error.address == IPAddress("203.0.113.9"))
            #expect(error.description.contains("mixed.test (203.0.113.9)"))
            #expect(error.description.contains("nothing was sent"))
        }
        let local = try policy.authorize(try resolver.resolve(["only-local.test"]))
        #expect(local.map(\.address) == [IPAddress("::1")!])
        #expect(local.first?.hostname == "only-local.test")
    }

    @Test func authorizedTargetsAreTheCheckedAddressesOnce() throws {
        let resolver = TargetResolver(lookup: { _ throws(TargetError) in [] })
        let targets = try policy.authorize(try resolver.resolve(["127.0.0.1", "127.0.0.0/30", "::ffff:127.0.0.2"]))
        #expect(targets.map(\.address.description) == ["127.0.0.1", "127.0.0.0", "127.0.0.2", "127.0.0.3"])
        #expect(targets.allSatisfy { $0.rule.origin == "embedded: IPv4 loopback" })
    }

    @Test(
        "policy file errors carry the line number",
        arguments: [
            ("allow 127.0.0.1\npermit 10.0.0.1", 2, "expected 'allow', 'allow-wide' or 'deny'"),
            ("# c\n\nallow example.com", 3, "not an IP address or CIDR block"),
            ("allow", 1, "exactly one address"),
            ("allow 10.0.0.1 10.0.0.2", 1, "exactly one address"),
            ("deny 10.0.0.0/40", 1, "not an IP address or CIDR block"),
            ("allow 10.0.0.0/+8", 1, "not an IP address or CIDR block"),
            ("allow 10.0.0.0/08", 1, "not an IP address or CIDR block"),
            ("allow 10.0.0.0/ 8", 1, "exactly one address"),
            ("allow 10.0.0.1\u{0}junk", 1, "not an IP address or CIDR block"),
            ("allow 0.0.0.0/0", 1, "covers more than a /8 (0.0.0.0/0): write 'allow-wide 0.0.0.0/0'"),
            ("\nallow 10.0.0.0/7", 2, "covers more than a /8"),
            ("allow ::/0", 1, "write 'allow-wide ::/0'"),
            ("allow-wide 10.0.0.0/8", 1, "'allow-wide' is for blocks wider than a /8"),
        ])
    func policyErrors(text: String, line: Int, message: String) {
        #expect {
            try PolicyFile(path: "own.policy", text: text)
        } throws: { error in
            guard let error = error as? PolicyFileError else { return false }
            return error.line == line && error.description.hasPrefix("policy own.policy:\(line): ")
                && error.description.contains(message)
        }
    }

    @Test func wideBlocksNeedTheirOwnKeyword() throws {
        let file = try PolicyFile(path: "w", text: "allow-wide 0.0.0.0/0\nallow 10.0.0.0/8\ndeny 10.1.0.0/16")
        #expect(file.wideRules.map(\.description) == ["allow 0.0.0.0/0 (w:1)"])
        let combined = policy.adding(file)
        #expect(combined.decide(IPAddress("203.0.113.9")!).allowed)
        #expect(!combined.decide(IPAddress("10.1.2.3")!).allowed)
    }

    @Test func linkLocalOwnAddressesAreLeftOutOfTheDefault() throws {
        let interfaces = [
            InterfaceAddress(name: "eth0", address: IPAddress("fe80::1")!),
            InterfaceAddress(name: "eth0", address: IPAddress("2001:db8::7")!),
        ]
        let policy = ScopePolicy.embeddedDefault(interfaceAddresses: interfaces)
        #expect(policy.decide(IPAddress("2001:db8::7")!).allowed)
        let resolved = try TargetResolver().resolve(["fe80::1"])
        #expect {
            try policy.authorize(resolved)
        } throws: { error in
            "\(error)".contains("link-local addresses need an interface scope")
        }
    }

    @Test func policyFileComments() throws {
        let file = try PolicyFile(path: "x", text: "# header\n  allow 198.51.100.1   # lab box\r\n\tdeny ::1\n")
        #expect(file.rules.map(\.description) == ["allow 198.51.100.1/32 (x:2)", "deny ::1/128 (x:3)"])
    }

    @Test func unreadablePolicyFile() {
        #expect(throws: PolicyFileError.self) { try PolicyFile(contentsOf: "/nonexistent/recon.policy") }
    }

    @Test func planRefusesBeforeResolvingPortsWrongly() {
        // A bad port list is reported before any target is looked at.
        #expect(throws: ScanPlanError.invalidInput("port 0 out of range in '0': ports are 1-65535")) {
            try ScanPlan.make(
                targets: ["203.0.113.1"], ports: "0", excludedPorts: nil, policyFiles: [], interfaces: [])
        }
        #expect {
            try ScanPlan.make(
                targets: ["203.0.113.1"], ports: "80", excludedPorts: nil, policyFiles: [], interfaces: [])
        } throws: { error in
            guard case .outOfScope(let refusal) = error as? ScanPlanError else { return false }
            return refusal.address == IPAddress("203.0.113.1")
        }
    }
}

@Suite("Targets")
struct TargetTests {
    let resolver = TargetResolver(lookup: { name throws(TargetError) in
        guard name == "box.test" else { throw TargetError(description: "cannot resolve '\(name)'", unresolved: true) }
        return [IPAddress("127.0.0.2")!, IPAddress("::1")!, IPAddress("127.0.0.2")!]
    })

    @Test func forms() throws {
        #expect(try resolver.resolve("::1").addresses == [IPAddress("::1")!])
        #expect(try resolver.resolve("127.0.0.0/29").addresses.count == 8)
        let named = try resolver.resolve("box.test")
        #expect(named.hostname == "box.test")
        #expect(named.addresses.map(\.description) == ["127.0.0.2", "::1"])
    }

    @Test(arguments: ["bad_name!", "10.0.0.0/99", "1.2.3.4.5", "", "-x.test", "127.0.0.0/8/1"])
    func malformed(spec: String) {
        #expect { try resolver.resolve(spec) } throws: { ($0 as? TargetError)?.unresolved == false }
    }

    @Test func unresolvable() {
        #expect { try resolver.resolve("nowhere.test") } throws: { ($0 as? TargetError)?.unresolved == true }
    }

    @Test func tooLarge() {
        #expect(throws: TargetError.self) { try resolver.resolve("10.0.0.0/8") }
        #expect(throws: TargetError.self) { try resolver.resolve(["127.0.0.0/16", "127.1.0.0/16"]) }
    }

    @Test func systemResolverFindsLocalhost() throws {
        let addresses = try TargetResolver().resolve("localhost").addresses
        #expect(addresses.contains(IPAddress("127.0.0.1")!))
    }
}
