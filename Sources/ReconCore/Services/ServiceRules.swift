/// Service identification rules: probes to send, patterns for replies, and a port table.
/// Read from recon's rules format (`policies/services.rules`, documented there) and,
/// optionally, from nmap's `nmap-service-probes`.
public struct ServiceRules: Sendable {
    /// Probe names recon sends itself or that are not sent at all; other names are custom probes.
    static let builtInProbes: Set<String> = [ProbeName.banner, ProbeName.http, ProbeName.tlsHTTP, ProbeName.any]

    /// Custom probes in file order.
    private(set) var customProbes: [ServiceProbe] = []
    /// Match rules by the probe whose replies they read, in file order.
    private(set) var rulesByProbe: [String: [MatchRule]] = [:]
    /// The same rules indexed for `identify`; built by `buildIndex()` once all are read.
    private(set) var indexByProbe: [String: RuleIndex] = [:]
    /// The port table: the usual service of a port.
    private(set) var portTable: [UInt16: String] = [:]
    /// Match lines of nmap's file that recon could not use (regex or substitution unsupported).
    public private(set) var skippedMatchCount = 0
    /// Of nmap's file: match lines recon read, match lines under probes recon does not send,
    /// and those probes.
    public internal(set) var nmapUsedMatchCount = 0
    public internal(set) var nmapUnsentMatchCount = 0
    public internal(set) var nmapUnsentProbeCount = 0

    /// How many custom probes (with a payload) there are.
    public var probeCount: Int { customProbes.count }
    /// How many match and softmatch rules there are.
    public var matchCount: Int { rulesByProbe.values.reduce(0) { $0 + $1.count } }

    init() {}

    /// Parses rules text in recon's format; `path` only labels errors.
    public init(path: String, text: String) throws(ServiceRulesError) {
        var section: String?
        for (number, line) in text.numberedLines() {
            var scanner = RuleLineScanner(line)
            if scanner.isAtEnd() { continue }
            let directive = scanner.word() ?? ""
            do throws(RuleLineError) {
                switch directive {
                case "probe":
                    section = try addProbe(&scanner)
                case "match", "softmatch":
                    guard let section else {
                        throw RuleLineError("'\(directive)' before any 'probe' line: start a section with 'probe NAME'")
                    }
                    rulesByProbe[section, default: []].append(
                        try MatchRule(soft: directive == "softmatch", line: &scanner, origin: "\(path):\(number)"))
                case "port":
                    try addPorts(&scanner)
                default:
                    throw RuleLineError("unknown directive '\(directive)': expected probe, match, softmatch or port")
                }
            } catch {
                throw ServiceRulesError(path: path, line: number, message: error.message)
            }
        }
        buildIndex()
    }

    /// Reads and parses a rules file from disk.
    public init(contentsOf path: String) throws(ServiceRulesError) {
        self = try TextFile.parse(path) { text throws(ServiceRulesError) in try ServiceRules(path: path, text: text) }
    }

    /// These rules, then `other`'s: where both say something, these win (their matches are tried
    /// first, their port table entries and probe names are kept).
    public func merging(_ other: ServiceRules) -> ServiceRules {
        var merged = self
        let names = Set(customProbes.map(\.name))
        merged.customProbes += other.customProbes.filter { !names.contains($0.name) }
        merged.rulesByProbe.merge(other.rulesByProbe) { ours, theirs in ours + theirs }
        merged.portTable.merge(other.portTable) { ours, _ in ours }
        merged.skippedMatchCount += other.skippedMatchCount
        merged.nmapUsedMatchCount += other.nmapUsedMatchCount
        merged.nmapUnsentMatchCount += other.nmapUnsentMatchCount
        merged.nmapUnsentProbeCount += other.nmapUnsentProbeCount
        merged.buildIndex()
        return merged
    }

    /// Custom probes to send to a silent port, in order: those whose ports include `port`
    /// first, then the ones for any port, file order otherwise. Excludes banner/http/tls-http/any
    /// and the probes that follow a greeting.
    public func probes(for port: UInt16) -> [ServiceProbe] {
        let silent = customProbes.filter { $0.greeting == nil }
        return silent.filter { $0.ports.contains(port) } + silent.filter { $0.ports.isEmpty }
    }

    /// The port-specific custom probes meant for other ports, in file order: worth a try on a
    /// silent port after the others, since services often run on unusual ports.
    public func otherProbes(for port: UInt16) -> [ServiceProbe] {
        customProbes.filter { $0.greeting == nil && !$0.ports.isEmpty && !$0.ports.contains(port) }
    }

    /// The probes that follow a greeting and whose expectation `greeting` meets, in file order
    /// (those whose ports include `port` first).
    public func greetingProbes(for port: UInt16, greeting: [UInt8]) -> [ServiceProbe] {
        let following = customProbes.filter { $0.greeting?.isMet(by: greeting) == true }
        return following.filter { $0.ports.contains(port) } + following.filter { !$0.ports.contains(port) }
    }

    /// True if a port-specific custom probe exists for this port (so it should be tried before HTTP).
    public func hasPortSpecificProbe(for port: UInt16) -> Bool {
        customProbes.contains { $0.ports.contains(port) }
    }

    /// The usual service name of a port, from the port table.
    public func portTableName(for port: UInt16) -> String? {
        portTable[port]
    }

    /// Turns of one conversation at most (after its first send).
    static let maximumTurns = 8

    /// `probe NAME [ports PORTLIST] [expect m|RE|] [send PAYLOAD [expect m|RE| send PAYLOAD]...]`;
    /// returns the section the next matches join.
    private mutating func addProbe(_ scanner: inout RuleLineScanner) throws(RuleLineError) -> String {
        guard let name = scanner.word() else { throw RuleLineError("'probe' needs a name") }
        guard name.unicodeScalars.allSatisfy(MatchRule.isNameCharacter) else {
            throw RuleLineError("'\(name)' is not a probe name (letters, digits, '.', '_', '-')")
        }
        var ports: Set<UInt16>?
        var payload: [UInt8]?
        var greeting: ReplyExpectation?
        var turns: [ConversationTurn] = []
        /// An `expect` after a send, waiting for the send of its turn.
        var pending: ReplyExpectation?
        while !scanner.isAtEnd() {
            switch scanner.word() {
            case "ports":
                guard ports == nil, let list = scanner.word() else {
                    throw RuleLineError("'ports' needs one port list")
                }
                do {
                    ports = Set(try PortList(parsing: list).ports)
                } catch {
                    throw RuleLineError("bad port list: \(error.description)")
                }
            case "send":
                let bytes = try ProbePayload.parse(&scanner)
                if payload == nil {
                    payload = bytes
                } else if let expect = pending {
                    guard turns.count < Self.maximumTurns else {
                        throw RuleLineError("more than \(Self.maximumTurns) turns in one conversation")
                    }
                    turns.append(ConversationTurn(expect: expect, send: bytes))
                    pending = nil
                } else {
                    throw RuleLineError("'send' after a 'send': put 'expect m|REGEX|' between them")
                }
            case "expect":
                let expect = try Self.expectation(&scanner)
                if payload == nil {
                    guard greeting == nil else {
                        throw RuleLineError("two greetings to expect before the first 'send'")
                    }
                    greeting = expect
                } else {
                    guard pending == nil else {
                        throw RuleLineError("'expect' after an 'expect': put a 'send' between them")
                    }
                    pending = expect
                }
            case let other:
                throw RuleLineError(
                    "unexpected '\(other ?? "")': expected 'ports PORTLIST', 'send PAYLOAD' or 'expect m|REGEX|'")
            }
        }
        if Self.builtInProbes.contains(name) {
            guard payload == nil, ports == nil, greeting == nil else {
                throw RuleLineError("'\(name)' is built in: it takes no 'ports', 'send' or 'expect'")
            }
            return name
        }
        guard let payload else { throw RuleLineError("custom probe '\(name)' needs 'send PAYLOAD'") }
        guard pending == nil else { throw RuleLineError("the last 'expect' needs a 'send' after it") }
        guard !customProbes.contains(where: { $0.name == name }) else {
            throw RuleLineError("probe '\(name)' is defined twice")
        }
        customProbes.append(
            ServiceProbe(name: name, payload: payload, ports: ports ?? [], greeting: greeting, turns: turns))
        return name
    }

    /// `m|REGEX|[is]` after `expect`.
    private static func expectation(_ scanner: inout RuleLineScanner) throws(RuleLineError) -> ReplyExpectation {
        guard scanner.take("m") else { throw RuleLineError("'expect' needs m|REGEX|") }
        let regex = try scanner.delimited("the expected regex")
        let options = scanner.letters()
        if let bad = options.first(where: { $0 != "i" && $0 != "s" }) {
            throw RuleLineError("unknown regex option '\(bad)' (only 'i' and 's')")
        }
        return try ReplyExpectation(regex, options: options)
    }

    /// `port PORTLIST SERVICE`: the first entry for a port wins.
    private mutating func addPorts(_ scanner: inout RuleLineScanner) throws(RuleLineError) {
        guard let list = scanner.word(), let service = scanner.word(), scanner.isAtEnd() else {
            throw RuleLineError("expected 'port PORTLIST SERVICE'")
        }
        guard service.unicodeScalars.allSatisfy(MatchRule.isNameCharacter) else {
            throw RuleLineError("'\(service)' is not a service name (letters, digits, '.', '_', '-')")
        }
        let ports: PortList
        do {
            ports = try PortList(parsing: list)
        } catch {
            throw RuleLineError("bad port list: \(error.description)")
        }
        for port in ports.ports where portTable[port] == nil { portTable[port] = service }
    }

    mutating func appendRule(_ rule: MatchRule, probe: String) {
        rulesByProbe[probe, default: []].append(rule)
    }

    mutating func buildIndex() {
        indexByProbe = rulesByProbe.mapValues(RuleIndex.init)
    }

    mutating func countSkippedMatch() {
        skippedMatchCount += 1
    }
}

extension ServiceRules {
    /// The label of the built-in rules in errors and reports.
    public static let builtInPath = "built-in policies/services.rules"

    /// The rules shipped in `policies/services.rules`, compiled into the binary (a test keeps
    /// them valid; a bad build still fails with the file's line, not a crash).
    public static func builtIn() throws(ServiceRulesError) -> ServiceRules {
        try ServiceRules(path: builtInPath, text: EmbeddedPolicies.serviceRules)
    }

    /// Where nmap's probes file is when `--nmap-probes auto` asks for it.
    public static let nmapDefaultPath = "/usr/share/nmap/nmap-service-probes"

    /// The rules a scan starts from: the built-in ones, or `folder/services.rules` instead
    /// (`RECON_POLICIES`), then each of `extra` (`--rules`), then nmap's probes file (`auto` for
    /// the installed one). Bad files fail with FILE:LINE.
    public static func load(replacing folder: String?, extra: [String], nmapProbes: String?) throws(ServiceRulesError)
        -> ServiceRules
    {
        var rules = try builtIn()
        if let folder { rules = try ServiceRules(contentsOf: folder + "/services.rules") }
        for file in extra { rules = rules.merging(try ServiceRules(contentsOf: file)) }
        if let nmapProbes {
            rules = rules.merging(
                try nmapServiceProbes(contentsOf: nmapProbes == "auto" ? nmapDefaultPath : nmapProbes))
        }
        return rules
    }
}
