/// What a scope rule does with a matching address.
public enum ScopeAction: String, Sendable {
    case allow
    case deny
}

/// One allow or deny rule and where it came from (for refusal messages).
public struct ScopeRule: Hashable, Sendable, CustomStringConvertible {
    /// allow or deny.
    public let action: ScopeAction
    /// The addresses the rule covers.
    public let block: CIDRBlock
    /// Where the rule was defined: `embedded: loopback`, `own.policy:3`.
    public let origin: String

    public init(action: ScopeAction, block: CIDRBlock, origin: String) {
        self.action = action
        self.block = block
        self.origin = origin
    }

    public var description: String { "\(action.rawValue) \(block) (\(origin))" }
}

/// The answer of a scope check for one address.
public struct ScopeDecision: Sendable, Equatable {
    /// The rule that decided, or nil when no rule matched (refused by default).
    public let rule: ScopeRule?
    /// True if the address may be scanned: an allow rule decided.
    public var allowed: Bool { rule?.action == .allow }

    /// A short explanation: the deciding rule, or that none matched.
    public var explanation: String {
        if let rule { return "rule \(rule)" }
        return "no allow rule matches (default: refuse)"
    }
}

/// The allowlist: which addresses recon may connect to. Deny rules win over allow rules;
/// an address no rule allows is refused.
public struct ScopePolicy: Sendable {
    /// Every rule, embedded ones first.
    public let rules: [ScopeRule]
    /// Human-readable sources of the rules (for the report).
    public let sources: [String]

    public init(rules: [ScopeRule], sources: [String]) {
        self.rules = rules
        self.sources = sources
    }

    /// The embedded default: loopback plus the given interface addresses.
    public static func embeddedDefault(interfaceAddresses: [InterfaceAddress]) -> ScopePolicy {
        var rules = [
            ScopeRule(action: .allow, block: CIDRBlock("127.0.0.0/8")!, origin: "embedded: IPv4 loopback"),
            ScopeRule(action: .allow, block: CIDRBlock("::1/128")!, origin: "embedded: IPv6 loopback"),
        ]
        // Link-local IPv6 addresses need an interface scope (`fe80::1%eth0`) to be reached, which
        // targets cannot name; they are left out rather than scanned into EINVAL errors.
        for interface in interfaceAddresses where !interface.address.isLinkLocalIPv6 {
            guard let block = CIDRBlock(address: interface.address, prefixLength: interface.address.bitWidth)
            else { continue }
            rules.append(ScopeRule(action: .allow, block: block, origin: "embedded: interface \(interface.name)"))
        }
        return ScopePolicy(rules: rules, sources: ["embedded default"])
    }

    /// This policy with another file's rules added after its own.
    public func adding(_ file: PolicyFile) -> ScopePolicy {
        ScopePolicy(rules: rules + file.rules, sources: sources + [file.path])
    }

    /// Decides one address: a matching deny refuses, else a matching allow admits, else refused.
    public func decide(_ address: IPAddress) -> ScopeDecision {
        if let deny = rules.first(where: { $0.action == .deny && $0.block.contains(address) }) {
            return ScopeDecision(rule: deny)
        }
        if let allow = rules.first(where: { $0.action == .allow && $0.block.contains(address) }) {
            return ScopeDecision(rule: allow)
        }
        return ScopeDecision(rule: nil)
    }

    /// Checks every resolved address of every target. Throws on the first refused one,
    /// before anything is connected; otherwise returns the authorized targets in order.
    public func authorize(_ targets: [ResolvedTarget]) throws(ScopeRefusal) -> [AuthorizedTarget] {
        var authorized: [AuthorizedTarget] = []
        var seen = Set<IPAddress>()
        for target in targets {
            for address in target.addresses {
                let decision = decide(address)
                guard decision.allowed, let rule = decision.rule else {
                    throw ScopeRefusal(target: target.spec, address: address, decision: decision)
                }
                if seen.insert(address).inserted {
                    authorized.append(AuthorizedTarget(address: address, hostname: target.hostname, rule: rule))
                }
            }
        }
        return authorized
    }
}

/// An address that passed the scope check. Only `ScopePolicy.authorize` makes these, and the
/// engine accepts nothing else: what is scanned is exactly what was checked.
public struct AuthorizedTarget: Sendable, Hashable {
    /// The address that was checked and will be connected to.
    public let address: IPAddress
    /// The host name the user gave, when the address came from one.
    public let hostname: String?
    /// The allow rule that admitted the address.
    public let rule: ScopeRule

    fileprivate init(address: IPAddress, hostname: String?, rule: ScopeRule) {
        self.address = address
        self.hostname = hostname
        self.rule = rule
    }
}

/// A target refused by the scope policy; nothing was sent.
public struct ScopeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The target as the user wrote it.
    public let target: String
    /// The resolved address that was refused.
    public let address: IPAddress
    /// Why.
    public let decision: ScopeDecision

    public var description: String {
        let shown = target == address.description ? target : "\(target) (\(address))"
        let remedy =
            decision.rule != nil
            ? ""
            : address.isLinkLocalIPv6
                ? " (link-local addresses need an interface scope, which recon cannot use yet)"
                : " (if you own it, add 'allow \(address)' to a policy file and pass --policy FILE)"
        return "refused: \(shown) is out of scope: \(decision.explanation); nothing was sent" + remedy
    }
}
