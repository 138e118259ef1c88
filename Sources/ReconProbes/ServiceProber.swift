import NIOCore
import NIOPosix
import NIOSSL
import ReconCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Finds out what each open port is: reads its banner, and if it stays silent sends probes in
/// an order chosen by port (port-specific probes, HTTP, TLS, then generic ones), all within one
/// deadline per port. Ports are probed in parallel, so silent ports cost one timeout together.
///
/// The prober shares the process's open-file budget with the connect engine: its event loops
/// are made only when probing starts (after the connect phase), it keeps no more connections
/// open than descriptors are left, and a connect that fails for a local reason (EMFILE, ENFILE,
/// ENOBUFS, EADDRNOTAVAIL) is retried after a back-off that does not count against the port's
/// deadline. A port that still cannot be reached says so in `PortService.probeError`.
public struct ServiceProber: Sendable {
    /// Ports where TLS is tried before plain HTTP.
    static let tlsPorts: Set<UInt16> = [443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 4443, 5986, 8443, 9443]
    /// A match at least this confident ends probing.
    static let decisiveConfidence = 8
    /// Descriptors one event loop holds (epoll, eventfd, timerfd).
    static let descriptorsPerLoop = 3
    /// Descriptors the runtime opens by the time probing starts (Swift concurrency's timer
    /// descriptors, opened on the first sleep).
    static let runtimeDescriptors = 2
    /// Descriptors left free while probing, counted once the runtime's are open.
    static let reservedDescriptors = 1
    /// Event loops at most; one more only when this many descriptors are left per loop.
    static let maximumLoops = 4
    static let descriptorsPerExtraLoop = 128
    /// Connections one silent port gets at once for its probes (with the one it holds): enough
    /// to try every probe within the deadline, few enough for servers that limit connections
    /// per client address (ngIRCd allows 5 by default).
    static let parallelProbes = 4
    /// Connects of one port retried after local failures before the port is given up.
    static let localFailureLimit = 12

    let rules: ServiceRules
    let options: ProbeOptions
    let tlsContext: NIOSSLContext
    /// The group to run sockets on; nil: the prober makes its own when probing starts.
    let group: (any EventLoopGroup)?
    /// More rules read in the background (nmap's file): they only add matches, so probing runs
    /// on `rules` and each port's replies are identified again with these at its end.
    let later: LaterRules?

    /// A prober using `rules`; runs its sockets on `group`, or (nil) on event loops of its own,
    /// made when probing starts and shut down when it ends.
    /// `later`, when given, makes the rules identification ends with (`rules` and more matches);
    /// it starts running now, in the background.
    public init(
        rules: ServiceRules, options: ProbeOptions, group: (any EventLoopGroup)? = nil,
        later: (@Sendable () -> ServiceRules)? = nil
    ) throws {
        self.rules = rules
        self.options = options
        self.group = group
        self.later = later.map(LaterRules.init)
        tlsContext = try PortExchanger.makeTLSContext()
    }

    /// The lowest open-file limit (`ulimit -n`) with which probing can work when `open`
    /// descriptors are open before the scan: the runtime's timers, one event loop, the reserve,
    /// and one connection.
    public static func minimumOpenFiles(open: Int) -> Int {
        open + runtimeDescriptors + descriptorsPerLoop + reservedDescriptors + 1
    }

    /// Why the open-file limit is too low to probe at all (with `outputs` files still to be
    /// opened), in one line naming the minimum; nil when there is room. A limit that is merely
    /// low makes probing slower; one below this minimum is refused before scanning.
    public static func openFileProblem(outputs: Int) -> String? {
        let limit = OpenFiles.softLimit()
        let minimum = minimumOpenFiles(open: OpenFiles.openCount() + outputs)
        guard limit < minimum else { return nil }
        return "the open-file limit (ulimit -n \(limit)) is too low to probe ports: raise it to at least \(minimum)"
    }

    /// Probes `ports` of every target (index-aligned with `targets`); calls `onPort` as each
    /// port is done. When `shouldStop` turns non-zero, the exchanges in flight are closed and
    /// their ports return what they heard so far (also passed to `onPort`); ports not started
    /// have no entry. Matching replies stops early on a signal too.
    public func probe(
        targets: [AuthorizedTarget], ports: [[UInt16]], shouldStop: @escaping @Sendable () -> Int32,
        onPort: @escaping @Sendable (_ targetIndex: Int, _ port: UInt16, _ service: PortService) -> Void = { _, _, _ in
        }
    ) async -> ProbeResults {
        let work = targets.indices.flatMap { index in ports[index].map { (index, $0) } }
        var found = ProbeResults(services: [[UInt16: PortService]](repeating: [:], count: targets.count))
        guard !work.isEmpty, shouldStop() == 0 else {
            if let note = await later?.rules.nmapProbesNote { found.notes.append(note) }
            return found
        }
        let stopRequested: @Sendable () -> Bool = { shouldStop() != 0 }
        // Swift concurrency opens its timer descriptors on the first sleep: open them now so the
        // count below includes them.
        try? await Task.sleep(for: .milliseconds(1))
        var ownGroup: MultiThreadedEventLoopGroup?
        let group: any EventLoopGroup
        if let injected = self.group {
            group = injected
        } else {
            let available = OpenFiles.available(reserve: Self.reservedDescriptors)
            guard available > Self.descriptorsPerLoop else {
                // Not even one event loop fits: say so for every port rather than fail silently.
                let failed = PortService(probeError: LocalErrno.name(EMFILE))
                for (index, port) in work {
                    found.services[index][port] = failed
                    onPort(index, port, failed)
                }
                return found
            }
            let loops = max(1, min(System.coreCount, Self.maximumLoops, available / Self.descriptorsPerExtraLoop))
            ownGroup = MultiThreadedEventLoopGroup(numberOfThreads: loops)
            group = ownGroup!
        }
        // Connections in flight at once: what the open-file limit leaves (the engine's sockets
        // are closed by now), at most the configured concurrency.
        let window = ProbeWindow(
            capacity: max(1, min(options.concurrency, OpenFiles.available(reserve: Self.reservedDescriptors))))
        let exchanger = PortExchanger(group: group, tlsContext: tlsContext)
        await withTaskGroup(of: (Int, UInt16, ProbedPort)?.self) { tasks in
            tasks.addTask {
                // Watches for SIGINT/SIGTERM; returns nil so it never counts as a port.
                while !Task.isCancelled && shouldStop() == 0 { try? await Task.sleep(for: .milliseconds(20)) }
                return nil
            }
            var next = 0
            var running = 0
            func fill() {
                while next < work.count && running < window.portLimit {
                    let (index, port) = work[next]
                    next += 1
                    running += 1
                    window.started()
                    tasks.addTask {
                        (
                            index, port,
                            await self.probe(
                                target: targets[index], port: port, exchanger, window, shouldStop: stopRequested)
                        )
                    }
                }
            }
            fill()
            var stopping = false
            while let finished = await tasks.next() {
                if let (index, port, probed) = finished {
                    running -= 1
                    window.finished(cleanly: probed.service.probeError == nil)
                    found.services[index][port] = probed.service
                    found.diagnostics += probed.diagnostics
                    onPort(index, port, probed.service)
                }
                if stopping { continue }
                if finished == nil || shouldStop() != 0 {
                    // Cancelled sessions close their connections and return what they heard;
                    // the loop goes on collecting them.
                    stopping = true
                    tasks.cancelAll()
                    continue
                }
                fill()
                if running == 0 && next >= work.count { tasks.cancelAll() }
            }
        }
        try? await ownGroup?.shutdownGracefully()
        if let note = await later?.rules.nmapProbesNote { found.notes.append(note) }
        return found
    }

    /// Everything recon learns about one open port, and the rules whose matching was cut short.
    func probe(
        target: AuthorizedTarget, port: UInt16, _ exchanger: PortExchanger, _ window: ProbeWindow,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) async -> ProbedPort {
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: target.address.description, port: Int(port))
        } catch {
            return ProbedPort(service: PortService())
        }
        var session = ProbeSession(
            prober: self, exchanger: exchanger, window: window, target: target, port: port, address: address,
            deadline: .now() + .nanoseconds(options.portTimeout),
            budget: MatchBudget(limits: options.matchLimits, nanoseconds: options.matchTime, shouldStop: shouldStop))
        await session.run()
        return ProbedPort(service: session.service, diagnostics: session.diagnostics)
    }
}

/// The pipeline's probing stage.
extension ServiceProber: PortProbing {}

/// Rules made in the background, from the moment the prober is made.
final class LaterRules: Sendable {
    private let task: Task<ServiceRules, Never>

    init(_ make: @escaping @Sendable () -> ServiceRules) {
        task = Task.detached(priority: .userInitiated) { make() }
    }

    var rules: ServiceRules {
        get async { await task.value }
    }
}

/// One port's service and matching diagnostics.
struct ProbedPort: Sendable {
    var service: PortService
    var diagnostics: [MatchDiagnostic] = []
}

/// How many ports are probed at once: starts at what the open-file budget allows, shrinks when
/// connects fail for local reasons and grows back as ports finish cleanly (as the engine does).
final class ProbeWindow: Sendable {
    private struct State {
        var capacity: Int
        var limit: Int
        var inUse = 0
        /// Extra connections that ports in flight hold for parallel probes.
        var borrowed = 0
        var cleanSinceFailure = 0
    }
    private let state: Mutex<State>

    init(capacity: Int) {
        state = Mutex(State(capacity: capacity, limit: capacity))
    }

    /// Ports that may be probed at once now: the limit less the extra connections that ports
    /// in flight have borrowed.
    var portLimit: Int { state.withLock { max(1, $0.limit - $0.borrowed) } }

    func started() { state.withLock { $0.inUse += 1 } }

    /// Extra connections for one port's parallel probes, at most `wanted`: what the limit leaves
    /// beside the ports in flight and the connections already borrowed (maybe none).
    func borrow(upTo wanted: Int) -> Int {
        state.withLock { state in
            let granted = max(0, min(wanted, state.limit - state.inUse - state.borrowed))
            state.borrowed += granted
            return granted
        }
    }

    /// Gives back connections from `borrow`.
    func giveBack(_ count: Int) {
        state.withLock { $0.borrowed -= count }
    }

    func finished(cleanly: Bool) {
        state.withLock { state in
            state.inUse -= 1
            guard cleanly else { return }
            state.cleanSinceFailure += 1
            if state.limit < state.capacity && state.cleanSinceFailure >= 8 {
                state.limit = min(state.capacity, state.limit + max(1, state.limit / 8))
                state.cleanSinceFailure = 0
            }
        }
    }

    /// A connect failed for a local reason: fewer ports at once.
    func localFailure() {
        state.withLock { state in
            state.limit = max(1, min(state.limit, state.inUse + state.borrowed) * 3 / 4)
            state.cleanSinceFailure = 0
        }
    }
}

/// Symbolic names of the errno values of local failures.
enum LocalErrno {
    static func name(_ code: Int32) -> String {
        switch code {
        case EMFILE: return "EMFILE"
        case ENFILE: return "ENFILE"
        case ENOBUFS: return "ENOBUFS"
        case ENOMEM: return "ENOMEM"
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL"
        case EADDRINUSE: return "EADDRINUSE"
        case EAGAIN: return "EAGAIN"
        default: return "errno \(code)"
        }
    }
}

/// The probing of one port: the replies so far and what they identify.
struct ProbeSession {
    let prober: ServiceProber
    let exchanger: PortExchanger
    let window: ProbeWindow
    let target: AuthorizedTarget
    let port: UInt16
    let address: SocketAddress
    /// The port's deadline; moved later by the time spent waiting for a descriptor.
    private(set) var deadline: NIODeadline
    var service = PortService()
    /// Everything the port said, and the identification they make, kept current as replies
    /// arrive (probing stops at a decisive one).
    private var replies: [ProbeReply] = [] { didSet { refreshMatch() } }
    /// How many of `replies` (at their start) came through TLS: once the port is known to speak
    /// TLS, those are tried first.
    private var tlsReplyCount = 0
    private var tunnel: Tunnel? { didSet { refreshMatch() } }
    private var match: ServiceMatch?
    private var triedHTTP = false
    private var triedTLS = false
    /// The conversations that follow the greeting were started.
    private var followedGreeting = false
    /// The matching this port may still do, over all the identifications of its replies.
    private var budget: MatchBudget
    /// Identification rules cut short at this port (host filled in), once each.
    private(set) var diagnostics: [MatchDiagnostic] = []

    init(
        prober: ServiceProber, exchanger: PortExchanger, window: ProbeWindow, target: AuthorizedTarget, port: UInt16,
        address: SocketAddress, deadline: NIODeadline, budget: MatchBudget
    ) {
        self.prober = prober
        self.exchanger = exchanger
        self.window = window
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
        refreshMatch(using: prober.rules)
    }

    private mutating func refreshMatch(using rules: ServiceRules) {
        let found = rules.identify(port: port, replies: replies, tunnel: tunnel, budget: &budget)
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
        if let requests = options.auditRequests, !stopped { await sendAuditRequests(requests) }
    }

    /// Probing this port is over before its deadline: the scan is being stopped, or the port
    /// could not be reached for a local reason.
    private var stopped: Bool { Task.isCancelled || service.probeError != nil }

    /// Reads the greeting; then, on a port that greeted, the conversations that follow its
    /// greeting (SMTP EHLO, ...), or, on a silent port, every candidate probe at once on
    /// connections of their own (as many as the descriptor budget lends, the likeliest first),
    /// until one identifies the service with its version or the port's deadline passes.
    private mutating func identify() async {
        let rules = prober.rules
        if ServiceProber.tlsPorts.contains(port) {
            await tryTLS()
            if tunnel == .ssl, !complete, !stopped { await followGreeting() }
            if decided || stopped { return await finishIdentification() }
        }
        // First connection: only listen, for the greeting wait.
        let opening = await exchange(
            payload: nil, isHTTP: false, budget: options.greetingWait + options.idleGap,
            greetingWait: options.greetingWait)
        adoptGreeting(opening)
        if opening.ended == .refused || stopped { return await finishIdentification() }
        if service.banner != nil {
            await followGreeting()
            if options.forceHTTP && !triedHTTP {
                await send(name: ProbeName.http, payload: httpRequest(), isHTTP: true)
            }
            return await finishIdentification()
        }
        // Silent port: the probes meant for this port, HTTP, TLS, the probes meant for other
        // ports (services often run on unusual ports), and the generic line probe last.
        let specific = rules.probes(for: port).filter { $0.ports.contains(port) }
        let generic = rules.probes(for: port).filter { $0.ports.isEmpty }
        let others = rules.otherProbes(for: port)
        var candidates = specific.map { Candidate($0) }
        if !triedHTTP { candidates.append(Candidate(http: httpRequest())) }
        if !triedTLS { candidates.append(Candidate(tlsHTTP: httpRequest())) }
        candidates += (others + generic).map { Candidate($0) }
        await run(candidates)
        await finishIdentification()
    }

    /// The conversations that follow the port's greeting (inside TLS on a TLS port), unless the
    /// greeting already named the service and its version.
    private mutating func followGreeting() async {
        guard !complete, !followedGreeting, let banner = service.banner?.bytes else { return }
        followedGreeting = true
        let following = prober.rules.greetingProbes(for: port, greeting: banner)
        guard !following.isEmpty else { return }
        await run(following.map { Candidate($0, tls: tunnel == .ssl) })
    }

    /// One probe to send: a custom probe (maybe a conversation), recon's HTTP request, or the
    /// HTTP request inside TLS.
    private struct Candidate {
        var name: String
        var payload: [UInt8]
        var isHTTP = false
        var tls = false
        var greeting: ReplyExpectation?
        var turns: [ConversationTurn] = []

        init(_ probe: ServiceProbe, tls: Bool = false) {
            (name, payload, greeting, turns, self.tls) = (probe.name, probe.payload, probe.greeting, probe.turns, tls)
        }

        init(http: [UInt8]) {
            (name, payload, isHTTP) = (ProbeName.http, http, true)
        }

        init(tlsHTTP: [UInt8]) {
            (name, payload, isHTTP, tls) = (ProbeName.tlsHTTP, tlsHTTP, true, true)
        }
    }

    /// Sends `candidates` on connections of their own, as many at once as the probe window lends
    /// (the port's own connection and borrowed ones; the likeliest first), recording each reply
    /// as it comes. Stops the others once a reply names the service and its version, or names
    /// it and the probe named like that service (Redis INFO after Redis's error to HTTP) has
    /// answered too; a TLS exchange still running on a port that proved to speak TLS is left
    /// to finish (it brings the certificate). Exchanges that failed for a local reason are
    /// retried one at a time.
    private mutating func run(_ given: [Candidate]) async {
        guard !given.isEmpty, !expired else { return }
        var candidates = given
        let borrowed = window.borrow(upTo: min(candidates.count, ServiceProber.parallelProbes) - 1)
        defer { window.giveBack(borrowed) }
        let slots = 1 + borrowed
        var retries: [Candidate] = []
        await withTaskGroup(of: (Int, ExchangeResult).self) { group in
            var pending = Array(candidates.indices)
            var finished: Set<Int> = []
            var running = 0
            var runningTLS = 0
            var done = false
            func launch(_ group: inout TaskGroup<(Int, ExchangeResult)>) {
                while !pending.isEmpty && running < slots && !expired {
                    // A reply that named the service moves that service's own probe first, and
                    // nothing else starts while it runs (fewer connections for servers that
                    // count them per client, such as ngIRCd).
                    let named = match.flatMap { found in pending.firstIndex { candidates[$0].name == found.name } }
                    let ownRunning =
                        match.map { found in
                            candidates.indices.contains {
                                candidates[$0].name == found.name && !finished.contains($0) && !pending.contains($0)
                            }
                        } ?? false
                    if named == nil && ownRunning { break }
                    let next = pending.remove(at: named ?? 0)
                    let candidate = candidates[next]
                    // All at once: each may take the port's remaining time. In turns (more
                    // probes than connections): each gets one probe wait, so the next one gets
                    // its turn.
                    let parallel = pending.count < slots - running
                    let wait = candidate.tls ? 2 * options.probeWait : options.probeWait
                    var plan = plan(
                        payload: candidate.payload, isHTTP: candidate.isHTTP, tls: candidate.tls,
                        until: parallel ? deadline : within(wait))
                    plan.awaitGreeting = candidate.greeting
                    plan.turns = candidate.turns
                    if candidate.greeting != nil {
                        plan.greetingWait = min(.nanoseconds(options.greetingWait), deadline - .now())
                    } else if candidate.tls {
                        // Inside TLS, a greeting (IMAPS, POP3S, SMTPS) comes first.
                        plan.greetingWait = min(.nanoseconds(options.tlsGreetingWait), deadline - .now())
                    }
                    let (index, exchanger, address) = (next, self.exchanger, self.address)
                    group.addTask { (index, await exchanger.run(plan, to: address)) }
                    running += 1
                    if candidate.tls { runningTLS += 1 }
                }
            }
            launch(&group)
            while let (index, result) = await group.next() {
                running -= 1
                finished.insert(index)
                let candidate = candidates[index]
                if candidate.tls { runningTLS -= 1 }
                if done { continue }
                if result.ended == .local {
                    window.localFailure()
                    retries.append(candidate)
                } else {
                    take(candidate, result)
                    // A greeting inside TLS (SMTPS, POP3S): its conversations go next, in TLS.
                    if candidate.tls, candidate.greeting == nil, result.tls != nil, !result.greeting.isEmpty,
                        !followedGreeting
                    {
                        followedGreeting = true
                        let following = prober.rules.greetingProbes(for: port, greeting: result.greeting)
                        pending.insert(contentsOf: candidates.count..<(candidates.count + following.count), at: 0)
                        candidates += following.map { Candidate($0, tls: true) }
                    }
                }
                // Settled: the service is named with its version, or named and its own probe
                // (one named like it) and the conversations after its greeting have had their say.
                let ownProbeOutstanding =
                    match.map { found in
                        candidates.indices.contains {
                            !finished.contains($0)
                                && (candidates[$0].name == found.name || candidates[$0].greeting != nil)
                        }
                    } ?? true
                let settled = complete || (decided && !ownProbeOutstanding)
                if stopped || expired || (settled && (runningTLS == 0 || match?.tunnel != .ssl)) {
                    done = true
                    group.cancelAll()
                } else if !settled {
                    launch(&group)
                }
            }
        }
        // The service's own probe once more, alone, when it named no product: servers that
        // limit connections per address (ngIRCd) may have refused it while the others ran.
        if !complete, !expired, !stopped, let found = match, found.product == nil,
            let own = candidates.first(where: { $0.name == found.name }),
            !retries.contains(where: { $0.name == own.name })
        {
            retries.append(own)
        }
        for candidate in retries where !complete && !expired {
            let result = await exchange(
                payload: candidate.payload, isHTTP: candidate.isHTTP, tls: candidate.tls, budget: options.probeWait,
                greetingWait: candidate.greeting != nil || candidate.tls ? options.tlsGreetingWait : nil,
                awaitGreeting: candidate.greeting, turns: candidate.turns)
            take(candidate, result)
        }
    }

    /// Records what one candidate's exchange brought.
    private mutating func take(_ candidate: Candidate, _ result: ExchangeResult) {
        if candidate.tls {
            guard let tls = result.tls else { return }
            service.tls = service.tls ?? tls
            if candidate.greeting == nil { adoptGreeting(result, tls: true) }
            record(candidate.name, result, tls: true)
            tunnel = .ssl
        } else {
            if candidate.greeting == nil { adoptGreeting(result) }
            record(candidate.name, result)
        }
    }

    /// The audit's requests, after identification and on a budget of their own (two probe
    /// waits each): the error page of HTTP services, and the rules' requests for this service.
    private mutating func sendAuditRequests(_ requests: [AuditRequest]) async {
        if service.http != nil {
            let name = tunnel == .ssl ? AuditRequest.tlsErrorPageProbe : AuditRequest.errorPageProbe
            await auditExchange(name, payload: httpRequest(path: AuditRequest.errorPagePath), isHTTP: true)
        }
        guard let name = service.service?.name else { return }
        for request in requests where request.services.contains(name) {
            await auditExchange(request.name, payload: request.payload, isHTTP: false)
        }
    }

    /// One audit exchange, inside the port's TLS tunnel if it has one, on a budget of its own.
    private mutating func auditExchange(_ name: String, payload: [UInt8], isHTTP: Bool) async {
        guard !stopped else { return }
        let result = await exchange(
            payload: payload, isHTTP: isHTTP, tls: tunnel == .ssl, budget: 2 * options.probeWait, ownBudget: true)
        record(name, result)
    }

    /// One connection carrying `payload` (see `plan`), ending after `budget` nanoseconds, and no
    /// later than the port's deadline unless `ownBudget`; first waiting `greetingWait` for the
    /// service to speak when given. A connect that fails for a local reason (no descriptor or
    /// source port left) is retried after a back-off, which moves the port's deadline on: waiting
    /// for a descriptor does not spend the port's time. After `localFailureLimit` failures the
    /// port records the errno in `probeError`.
    private mutating func exchange(
        payload: [UInt8]?, isHTTP: Bool, tls: Bool = false, budget: Int64, ownBudget: Bool = false,
        greetingWait: Int64? = nil, awaitGreeting: ReplyExpectation? = nil, turns: [ConversationTurn] = []
    ) async -> ExchangeResult {
        guard service.probeError == nil else { return ExchangeResult(ended: .local) }
        var failures = 0
        while true {
            // A fresh token for each connection where a rule wrote `\N` (IRC nicknames).
            let token = ProbePayload.connectionToken()
            var plan = plan(
                payload: payload.map { ProbePayload.personalized($0, token: token) }, isHTTP: isHTTP, tls: tls,
                until: ownBudget ? .now() + .nanoseconds(budget) : within(budget))
            if let greetingWait { plan.greetingWait = min(.nanoseconds(greetingWait), deadline - .now()) }
            plan.awaitGreeting = awaitGreeting
            plan.turns = turns.map {
                ConversationTurn(expect: $0.expect, send: ProbePayload.personalized($0.send, token: token))
            }
            let started = NIODeadline.now()
            let result = await exchanger.run(plan, to: address)
            guard result.ended == .local else { return result }
            failures += 1
            window.localFailure()
            guard failures <= ServiceProber.localFailureLimit else {
                service.probeError = LocalErrno.name(result.localErrno)
                return result
            }
            // 10 ms, doubling up to 500 ms: about 3.5 s in all before the port is given up.
            try? await Task.sleep(for: .milliseconds(min(5 << min(failures, 7), 500)))
            guard !Task.isCancelled else { return ExchangeResult(ended: .interrupted) }
            deadline = deadline + (.now() - started)
        }
    }

    private var expired: Bool { NIODeadline.now() >= deadline || stopped }

    private var decided: Bool {
        guard let match else { return false }
        return match.method != .portTable && match.confidence >= ServiceProber.decisiveConfidence
    }

    /// Decided, with a version: nothing more to learn from other probes.
    private var complete: Bool { decided && match?.version != nil }

    private mutating func send(name: String, payload: [UInt8], isHTTP: Bool) async {
        // An unanswered probe must not eat the whole deadline: the next one may be the right one.
        let result = await exchange(payload: payload, isHTTP: isHTTP, budget: options.probeWait)
        adoptGreeting(result)
        record(name, result)
    }

    /// Keeps the first greeting any connection heard as the banner (one heard inside TLS goes
    /// with the TLS replies).
    private mutating func adoptGreeting(_ result: ExchangeResult, tls: Bool = false) {
        guard !result.greeting.isEmpty, service.banner == nil else { return }
        service.banner = CapturedBytes(result.greeting, truncated: result.greetingTruncated)
        add(ProbeReply(probe: ProbeName.banner, bytes: result.greeting), tls: tls)
    }

    /// Adds a reply; those through TLS go before the plain ones.
    private mutating func add(_ reply: ProbeReply, tls: Bool) {
        if tls {
            replies.insert(reply, at: tlsReplyCount)
            tlsReplyCount += 1
        } else {
            replies.append(reply)
        }
    }

    /// HTTP inside TLS, after a short wait for a greeting inside the tunnel (IMAPS, POP3S, SMTPS
    /// greet; HTTPS does not).
    private mutating func tryTLS() async {
        triedTLS = true
        let result = await exchange(
            payload: httpRequest(), isHTTP: true, tls: true, budget: 2 * options.probeWait + options.tlsGreetingWait,
            greetingWait: options.tlsGreetingWait)
        take(Candidate(tlsHTTP: httpRequest()), result)
    }

    private mutating func record(_ name: String, _ result: ExchangeResult, tls: Bool = false) {
        // An exchange that never reached the port (no descriptor, or stopped before its request
        // went out) said nothing about it.
        if result.ended == .local || (result.ended == .interrupted && result.reply == nil) { return }
        if name == ProbeName.http { triedHTTP = true }
        let reply = result.reply ?? []
        var exchanges = service.probes ?? []
        exchanges.append(
            ProbeExchange(
                probe: name, reply: reply.isEmpty ? nil : CapturedBytes(reply, truncated: result.replyTruncated),
                ended: result.ended, head: result.head))
        service.probes = exchanges
        guard !reply.isEmpty else { return }
        add(ProbeReply(probe: name, bytes: reply), tls: tls)
        // The HTTP response of a TLS port is the one through TLS.
        if name == ProbeName.http || name == ProbeName.tlsHTTP, service.http == nil || tls,
            let http = HTTPResponse.parse(reply, head: result.head)
        {
            service.http = http
        }
    }

    /// The identification, with the rules read in the background too when the port's own rules
    /// left it incomplete (they come after the port's own: they add, never override).
    private mutating func finishIdentification() async {
        if let later = prober.later, !complete, !replies.isEmpty, !Task.isCancelled {
            refreshMatch(using: await later.rules)
        }
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
