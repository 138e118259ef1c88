import CPCRE2

/// PCRE2's limits on one match. A match that reaches one stops at once and counts as no
/// match, reported as a `MatchDiagnostic`. The standard values were chosen by measurement (see
/// `MatchBudgetTests`): the shipped rules on real replies stay far below them, and the worst
/// patterns stop within a few milliseconds.
public struct MatchLimits: Sendable, Equatable {
    /// PCRE2's match limit: how many times the engine may backtrack (call its internal match
    /// function, in the interpreter; the JIT counts alike).
    public var matchLimit: UInt32
    /// How deep the interpreter's backtracking may nest.
    public var depthLimit: UInt32
    /// The interpreter's backtracking memory, in KiB.
    public var heapLimitKiB: UInt32
    /// The most a JIT match may use of its own stack, in bytes.
    public var jitStackBytes: Int

    public init(matchLimit: UInt32, depthLimit: UInt32, heapLimitKiB: UInt32, jitStackBytes: Int) {
        self.matchLimit = matchLimit
        self.depthLimit = depthLimit
        self.heapLimitKiB = heapLimitKiB
        self.jitStackBytes = jitStackBytes
    }

    public static let standard = MatchLimits(
        matchLimit: 1_000_000, depthLimit: 50_000, heapLimitKiB: 20 * 1024, jitStackBytes: 1 << 20)
}

/// The matching one port may do: limits for each match, a time budget for all of them (spent
/// as matches run: a service's slowness on the network does not count), and a check for a
/// stop request made between matches.
public struct MatchBudget: Sendable {
    /// The time given to a port for identification, and again for its audit.
    public static let standardPortTime: Int64 = 1_000_000_000

    public let limits: MatchLimits
    /// Nanoseconds of matching left.
    public private(set) var remaining: Int64
    /// The time the budget started with.
    public let total: Int64
    private let shouldStop: @Sendable () -> Bool

    /// A budget of `nanoseconds` of matching with `limits`; `shouldStop` is asked between
    /// matches (a SIGINT flag, say) and ends the matching when true.
    public init(
        limits: MatchLimits = .standard, nanoseconds: Int64 = standardPortTime,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.limits = limits
        remaining = nanoseconds
        total = nanoseconds
        self.shouldStop = shouldStop
    }

    /// True when a stop was asked for.
    public var stopRequested: Bool { shouldStop() }

    /// True when no matching time is left.
    public var isSpent: Bool { remaining <= 0 }

    /// Runs one sequence of matches: `body` gets a matcher with the limits and a clock that
    /// says when to give up (time spent or stop requested); the time taken is charged.
    mutating func spend<Result>(_ body: (Matcher, MatchClock) -> Result) -> Result {
        let start = monotonicNanoseconds()
        let clock = MatchClock(deadline: start + max(0, remaining), shouldStop: shouldStop)
        let result = body(Matcher(limits: limits), clock)
        remaining -= monotonicNanoseconds() - start
        return result
    }
}

/// When a sequence of matches must end: at a deadline, or at a stop request.
struct MatchClock {
    let deadline: Int64
    let shouldStop: @Sendable () -> Bool

    /// Why matching must end now, if it must.
    func check() -> Interruption? {
        if shouldStop() { return .stopped }
        if monotonicNanoseconds() >= deadline { return .outOfTime }
        return nil
    }

    enum Interruption {
        /// A stop was requested (SIGINT, SIGTERM): end quietly with what was found.
        case stopped
        /// The port's matching time is spent: end, and say at which rule.
        case outOfTime
    }
}

/// Scratch space for matches made one after another on one thread: a PCRE2 match context
/// holding the limits, a JIT stack, and match data sized for the largest pattern so far.
/// Not shareable between threads: make one per sequence of matches.
final class Matcher {
    let context: OpaquePointer
    private let stack: OpaquePointer?
    private var data: OpaquePointer?
    private var pairs = 0

    init(limits: MatchLimits) {
        guard
            let context = recon_pcre2_match_context_create(
                limits.matchLimit, limits.depthLimit, limits.heapLimitKiB)
        else { fatalError("recon: out of memory for a PCRE2 match context") }
        self.context = context
        stack = recon_pcre2_jit_stack_create(min(32 * 1024, limits.jitStackBytes), limits.jitStackBytes)
        if let stack { recon_pcre2_jit_stack_assign(context, stack) }
    }

    deinit {
        if let data { recon_pcre2_match_data_free(data) }
        if let stack { recon_pcre2_jit_stack_free(stack) }
        recon_pcre2_match_context_free(context)
    }

    /// Match data with room for at least `pairs` offset pairs.
    func matchData(pairs wanted: Int) -> OpaquePointer {
        if let data, pairs >= wanted { return data }
        if let data { recon_pcre2_match_data_free(data) }
        let size = max(wanted, 10)
        guard let created = recon_pcre2_match_data_create(UInt32(size)) else {
            fatalError("recon: out of memory for PCRE2 match data")
        }
        data = created
        pairs = size
        return created
    }
}

/// A rule whose matching was cut short: it reached a limit of its budget at one place of a
/// port, or the port's matching time ran out at it. Reported on standard error, once per rule
/// and port; the scan goes on.
public struct MatchDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// Which matching it happened in.
    public enum Stage: String, Sendable {
        /// Service identification (rules of services.rules, --rules, --nmap-probes).
        case service
        /// The audit (audit.rules, --audit-rules).
        case audit
    }

    public enum Cause: Sendable, Hashable {
        /// The match reached PCRE2's match, depth or heap limit, or the JIT stack's size.
        case ruleLimit
        /// The port's matching time ran out before this rule; it and later rules were skipped.
        case portTime
    }

    public var stage: Stage
    public var cause: Cause
    /// The audit rule's id, or `FILE:LINE` of a service rule.
    public var rule: String
    /// The place matched: `banner`, `reply NAME`, `http-header NAME`, `http-error-page`...
    public var place: String
    /// The address (empty until the prober or auditor fills it in) and port.
    public var host: String
    public var port: Int

    public init(stage: Stage, cause: Cause, rule: String, place: String, host: String = "", port: Int = 0) {
        self.stage = stage
        self.cause = cause
        self.rule = rule
        self.place = place
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, IPv6 addresses in brackets.
    public var endpoint: String {
        (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }

    /// One line, without the `recon: ` prefix.
    public var description: String {
        let rule = "\(stage.rawValue) rule \(PrintableBytes.render(Array(self.rule.utf8)))"
        let place = PrintableBytes.render(Array(self.place.utf8))
        switch cause {
        case .ruleLimit:
            return "\(rule) exceeded its matching budget at \(endpoint) (\(place)); skipped"
        case .portTime:
            return "\(stage.rawValue) matching at \(endpoint) ran out of time at \(rule) (\(place)); "
                + "it and later rules skipped"
        }
    }
}

extension [MatchDiagnostic] {
    /// Adds `diagnostic` unless it repeats one already there: a rule limit is told once per rule
    /// and port (whatever the place), the end of a port's time once per port and stage.
    public mutating func note(_ diagnostic: MatchDiagnostic) {
        let repeated = contains {
            $0.stage == diagnostic.stage && $0.cause == diagnostic.cause && $0.host == diagnostic.host
                && $0.port == diagnostic.port && ($0.cause == .portTime || $0.rule == diagnostic.rule)
        }
        if !repeated { append(diagnostic) }
    }
}
