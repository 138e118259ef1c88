/// A checked scan request: the authorized addresses and the ports. Building one parses the
/// port list, loads the policy, resolves every target and checks every address, in that order,
/// before any connect.
public struct ScanPlan: Sendable {
    /// Addresses that passed the scope check, in request order.
    public let targets: [AuthorizedTarget]
    /// Ports to scan on each.
    public let ports: PortList
    /// The policy that admitted them.
    public let policy: ScopePolicy

    /// Plans a scan. `interfaces` feeds the embedded default policy. `excludedTargets`
    /// (`--exclude`, nmap's) are addresses, blocks or names whose addresses are skipped inside
    /// the targets' blocks and names; a denied address named outright is still refused.
    public static func make(
        targets specs: [String], ports portText: String, excludedPorts: String?, policyFiles: [String],
        excludedTargets: [String] = [],
        interfaces: [InterfaceAddress], resolver: TargetResolver = TargetResolver()
    ) throws(ScanPlanError) -> ScanPlan {
        var ports: PortList
        do {
            ports = try PortList(parsing: portText)
            if let excludedPorts { ports = ports.excluding(try PortList(parsing: excludedPorts)) }
        } catch {
            throw .invalidInput(error.description)
        }
        guard !ports.ports.isEmpty else { throw .invalidInput("no port left to scan after --exclude-ports") }
        guard !specs.isEmpty else { throw .invalidInput("no target given") }

        var policy = ScopePolicy.embeddedDefault(interfaceAddresses: interfaces)
        for path in policyFiles {
            do {
                policy = policy.adding(try PolicyFile(contentsOf: path))
            } catch {
                throw .invalidInput(error.description)
            }
        }
        var resolved: [ResolvedTarget]
        var excluded = Set<IPAddress>()
        do {
            resolved = try resolver.resolve(specs)
            for target in try resolver.resolve(excludedTargets) { excluded.formUnion(target.addresses) }
        } catch {
            throw error.unresolved ? .unresolved(error.description) : .invalidInput(error.description)
        }
        if !excluded.isEmpty {
            resolved = resolved.compactMap { target in
                let named = IPAddress(target.spec) != nil
                let kept = target.addresses.filter {
                    !excluded.contains($0) || (named && !policy.decide($0).allowed)
                }
                return kept.isEmpty
                    ? nil : ResolvedTarget(spec: target.spec, hostname: target.hostname, addresses: kept)
            }
            guard !resolved.isEmpty else { throw .invalidInput("every target address is excluded (--exclude)") }
        }
        do {
            return ScanPlan(targets: try policy.authorize(resolved), ports: ports, policy: policy)
        } catch {
            throw .outOfScope(error)
        }
    }
}

/// Why a scan could not be planned. Nothing has been sent when this is thrown.
public enum ScanPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Malformed input: ports, targets, policy file, target list.
    case invalidInput(String)
    /// A host name did not resolve.
    case unresolved(String)
    /// An address is outside the scope policy.
    case outOfScope(ScopeRefusal)

    public var description: String {
        switch self {
        case .invalidInput(let message), .unresolved(let message): return message
        case .outOfScope(let refusal): return refusal.description
        }
    }
}
