import NIOCore
import NIOPosix
import ReconCore

/// Finds out what each open port is: reads its banner, and if it stays silent sends probes in
/// an order chosen by port (port-specific probes, HTTP, TLS, then generic ones), all within one
/// deadline per port. Ports are probed in parallel, so silent ports cost one timeout together.
public struct ServiceProber: Sendable {
    /// Ports where TLS is tried before plain HTTP.
    static let tlsPorts: Set<UInt16> = [443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 4443, 5986, 8443, 9443]
    /// A match at least this confident ends probing.
    static let decisiveConfidence = 8

    let rules: ServiceRules
    let options: ProbeOptions
    let exchanger: PortExchanger

    /// A prober using `rules`; runs its sockets on `group`.
    public init(
        rules: ServiceRules, options: ProbeOptions, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    )
        throws
    {
        self.rules = rules
        self.options = options
        exchanger = try PortExchanger(group: group)
    }

    /// Probes `ports` of every target (index-aligned with `targets`); calls `onPort` as each
    /// port is done. Stops early (keeping what is done) when `shouldStop` turns non-zero, also
    /// while matching replies.
    public func probe(
        targets: [AuthorizedTarget], ports: [[UInt16]], shouldStop: @escaping @Sendable () -> Int32,
        onPort: @escaping @Sendable (_ targetIndex: Int, _ port: UInt16, _ service: PortService) -> Void = { _, _, _ in
        }
    ) async -> ProbeResults {
        let work = targets.indices.flatMap { index in ports[index].map { (index, $0) } }
        var found = ProbeResults(services: [[UInt16: PortService]](repeating: [:], count: targets.count))
        guard !work.isEmpty else { return found }
        let stopRequested: @Sendable () -> Bool = { shouldStop() != 0 }
        await withTaskGroup(of: (Int, UInt16, ProbedPort)?.self) { group in
            group.addTask {
                // Watches for SIGINT/SIGTERM; returns nil so it never counts as a port.
                while !Task.isCancelled && shouldStop() == 0 { try? await Task.sleep(for: .milliseconds(20)) }
                return nil
            }
            var next = 0
            var running = 0
            func addPort() {
                let (index, port) = work[next]
                next += 1
                running += 1
                group.addTask {
                    (index, port, await self.probe(target: targets[index], port: port, shouldStop: stopRequested))
                }
            }
            while next < work.count && running < max(1, options.concurrency) { addPort() }
            while let finished = await group.next() {
                guard let (index, port, probed) = finished else {
                    group.cancelAll()
                    break
                }
                running -= 1
                found.services[index][port] = probed.service
                found.diagnostics += probed.diagnostics
                onPort(index, port, probed.service)
                if shouldStop() != 0 {
                    group.cancelAll()
                    break
                }
                if next < work.count { addPort() }
                if running == 0 && next >= work.count {
                    group.cancelAll()
                }
            }
        }
        return found
    }

    /// Everything recon learns about one open port, and the rules whose matching was cut short.
    func probe(target: AuthorizedTarget, port: UInt16, shouldStop: @escaping @Sendable () -> Bool = { false }) async
        -> ProbedPort
    {
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: target.address.description, port: Int(port))
        } catch {
            return ProbedPort(service: PortService())
        }
        var session = ProbeSession(
            prober: self, target: target, port: port, address: address,
            deadline: .now() + .nanoseconds(options.portTimeout),
            budget: MatchBudget(limits: options.matchLimits, nanoseconds: options.matchTime, shouldStop: shouldStop))
        await session.run()
        return ProbedPort(service: session.service, diagnostics: session.diagnostics)
    }
}

/// What probing found: each target's open ports (index-aligned with the targets), and the
/// identification rules whose matching was cut short (rule limit or time), once per rule and
/// port, in the order the ports finished.
public struct ProbeResults: Sendable {
    public var services: [[UInt16: PortService]]
    public var diagnostics: [MatchDiagnostic] = []
}

/// One port's service and matching diagnostics.
struct ProbedPort: Sendable {
    var service: PortService
    var diagnostics: [MatchDiagnostic] = []
}

/// The probing of one port: the replies so far and what they identify.
struct ProbeSession {
    let prober: ServiceProber
    let target: AuthorizedTarget
    let port: UInt16
    let address: SocketAddress
    let deadline: NIODeadline
    var service = PortService()
    /// The matching this port may still do, over all the identifications of its replies.
    private var budget: MatchBudget
    /// Identification rules cut short at this port (host filled in), once each.
    private(set) var diagnostics: [MatchDiagnostic] = []
    /// Everything the port said, and the identification they make, kept current as replies
    /// arrive (probing stops at a decisive one).
    private var replies: [ProbeReply] = [] { didSet { refreshMatch() } }
    private var tunnel: String? { didSet { refreshMatch() } }
    private var match: ServiceMatch?
    private var triedHTTP = false
    private var triedTLS = false

    init(
        prober: ServiceProber, target: AuthorizedTarget, port: UInt16, address: SocketAddress, deadline: NIODeadline,
        budget: MatchBudget
    ) {
        self.prober = prober
        self.target = target
        self.port = port
        self.address = address
        self.deadline = deadline
        self.budget = budget
        match = prober.rules.identify(port: port, replies: [], tunnel: nil, budget: &self.budget).match
    }

    /// Identifies the replies so far. Matching cut short (time spent, stop requested) never
    /// replaces a better identification made before.
    private mutating func refreshMatch() {
        let found = prober.rules.identify(port: port, replies: replies, tunnel: tunnel, budget: &budget)
        for var diagnostic in found.diagnostics {
            diagnostic.host = target.address.description
            diagnostics.note(diagnostic)
        }
        if found.cutShort, let match, (found.match?.confidence ?? 0) < match.confidence { return }
        match = found.match
    }

    private var options: ProbeOptions { prober.options }

    mutating func run() async {
        await identify()
        if let requests = options.auditRequests { await sendAuditRequests(requests) }
    }

    /// Reads the greeting, sends probes until one identifies the service, and identifies it.
    private mutating func identify() async {
        let rules = prober.rules
        let specific = rules.probes(for: port).filter { $0.ports.contains(port) }
        let generic = rules.probes(for: port).filter { $0.ports.isEmpty }
        let others = rules.otherProbes(for: port)
        if ServiceProber.tlsPorts.contains(port) {
            await tryTLS()
            if decided { return finishIdentification() }
        }
        // First connection: listen for a greeting; if silent, send the first probe on it.
        let first = specific.first
        // An unanswered first probe must leave time for the others (DNS on an unusual port
        // answers none of HTTP): it gets two probe waits after the greeting wait.
        var plan = plan(
            payload: first?.payload ?? httpRequest(), isHTTP: first == nil,
            until: within(options.greetingWait + 2 * options.probeWait))
        plan.greetingWait = min(.nanoseconds(options.greetingWait), deadline - .now())
        let opening = await prober.exchanger.run(plan, to: address)
        // A silent port got the HTTP request on this connection: no need to send it again.
        if first == nil && opening.greeting.isEmpty { triedHTTP = true }
        adoptGreeting(opening)
        if opening.reply != nil {
            record(first?.name ?? "http", opening)
        }
        if opening.ended == .refused { return finishIdentification() }
        if service.banner != nil {
            if options.forceHTTP && !triedHTTP { await send(name: "http", payload: httpRequest(), isHTTP: true) }
            return finishIdentification()
        }
        // Silent port: the probes meant for this port, HTTP, TLS, the probes meant for other
        // ports (services often run on unusual ports), and the generic line probe last.
        for probe in specific.dropFirst() where !decided && !expired {
            await send(name: probe.name, payload: probe.payload, isHTTP: false)
        }
        if !triedHTTP && !decided && !expired { await send(name: "http", payload: httpRequest(), isHTTP: true) }
        if !triedTLS && !decided && !expired && looksLikeTLS { await tryTLS() }
        for probe in others + generic where !decided && !expired {
            await send(name: probe.name, payload: probe.payload, isHTTP: false)
        }
        finishIdentification()
    }

    /// The audit's requests, after identification and on a budget of their own (two probe
    /// waits each): the error page of HTTP services, and the rules' requests for this service.
    private mutating func sendAuditRequests(_ requests: [AuditRequest]) async {
        if service.http != nil {
            let name = tunnel == "ssl" ? AuditRequest.tlsErrorPageProbe : AuditRequest.errorPageProbe
            await auditExchange(name, payload: httpRequest(path: AuditRequest.errorPagePath), isHTTP: true)
        }
        guard let name = service.service?.name else { return }
        for request in requests where request.services.contains(name) {
            await auditExchange(request.name, payload: request.payload, isHTTP: false)
        }
    }

    /// One audit exchange, inside the port's TLS tunnel if it has one, on a budget of its own.
    private mutating func auditExchange(_ name: String, payload: [UInt8], isHTTP: Bool) async {
        let plan = plan(
            payload: payload, isHTTP: isHTTP, tls: tunnel == "ssl", until: .now() + .nanoseconds(2 * options.probeWait))
        record(name, await prober.exchanger.run(plan, to: address))
    }

    private var expired: Bool { NIODeadline.now() >= deadline }

    private var decided: Bool {
        guard let match else { return false }
        return match.method != "port-table" && match.confidence >= ServiceProber.decisiveConfidence
    }

    /// The HTTP reply was a TLS alert, or the service closed on a plain request.
    private var looksLikeTLS: Bool {
        guard let reply = service.probes?.first(where: { $0.probe == "http" }) else { return false }
        let bytes = reply.reply?.bytes ?? []
        return bytes.first == 0x15 || (bytes.isEmpty && reply.ended == "closed") || (bytes.first == 0x16)
    }

    private mutating func send(name: String, payload: [UInt8], isHTTP: Bool) async {
        // An unanswered probe must not eat the whole deadline: the next one may be the right one.
        let plan = plan(payload: payload, isHTTP: isHTTP, until: within(options.probeWait))
        let result = await prober.exchanger.run(plan, to: address)
        adoptGreeting(result)
        record(name, result)
    }

    /// Keeps the first greeting any connection heard as the banner.
    private mutating func adoptGreeting(_ result: ExchangeResult) {
        guard !result.greeting.isEmpty, service.banner == nil else { return }
        service.banner = CapturedBytes(result.greeting, truncated: result.greetingTruncated)
        replies.append(ProbeReply(probe: "banner", bytes: result.greeting))
    }

    private mutating func tryTLS() async {
        triedTLS = true
        let plan = plan(payload: httpRequest(), isHTTP: true, tls: true, until: within(2 * options.probeWait))
        let result = await prober.exchanger.run(plan, to: address)
        guard let tls = result.tls else { return }
        service.tls = tls
        tunnel = "ssl"
        record("tls-http", result)
    }

    private mutating func record(_ name: String, _ result: ExchangeResult) {
        if name == "http" { triedHTTP = true }
        let reply = result.reply ?? []
        var exchanges = service.probes ?? []
        exchanges.append(
            ProbeExchange(
                probe: name, reply: reply.isEmpty ? nil : CapturedBytes(reply, truncated: result.replyTruncated),
                ended: result.ended.rawValue))
        service.probes = exchanges
        guard !reply.isEmpty else { return }
        replies.append(ProbeReply(probe: name, bytes: reply))
        if name == "http" || name == "tls-http", service.http == nil, let http = HTTPResponse.parse(reply) {
            service.http = http
        }
    }

    private mutating func finishIdentification() {
        service.service = match
    }

    /// An exchange sending `payload` (HTTP replies get the larger cap), in TLS with the target's
    /// name for SNI when asked, ending by `until`.
    private func plan(payload: [UInt8]?, isHTTP: Bool, tls: Bool = false, until: NIODeadline) -> ExchangePlan {
        ExchangePlan(
            greetingWait: nil, payload: payload, isHTTP: isHTTP, tls: tls, serverName: tls ? target.hostname : nil,
            greetingCap: options.byteCap,
            replyCap: isHTTP ? max(options.byteCap, options.httpByteCap) : options.byteCap,
            idleGap: .nanoseconds(options.idleGap), deadline: until)
    }

    /// Now plus `budget` nanoseconds, but no later than the port's deadline.
    private func within(_ budget: Int64) -> NIODeadline {
        min(deadline, .now() + .nanoseconds(budget))
    }

    private func httpRequest(path: String = "/") -> [UInt8] {
        var host = target.hostname ?? (target.address.isIPv4 ? "\(target.address)" : "[\(target.address)]")
        if port != 80 && port != 443 { host += ":\(port)" }
        let request =
            "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: \(options.userAgent)\r\n"
            + "Accept: */*\r\nConnection: close\r\n\r\n"
        return Array(request.utf8)
    }
}
