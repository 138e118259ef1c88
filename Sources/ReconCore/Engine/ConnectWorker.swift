import CReconShim
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a work item carries between attempts.
struct RetryState {
    var attempts: Int32 = 0
    var localFailures: Int16 = 0
    var selfConnects: Int8 = 0
    var phantoms: Int8 = 0
}

/// A work item waiting to be (re)connected.
struct Pending {
    var work: Int
    var retry: RetryState
    var notBefore: Int64
}

/// One thread's event loop: keeps up to its share of the window in flight, classifies each
/// answer by errno, expires unanswered connects, and retries what needs retrying.
final class ConnectWorker {
    /// A connect in flight.
    private struct Slot {
        var fd: Int32 = -1
        var work = 0
        var startedAt: Int64 = 0
        var retry = RetryState()
    }

    private static let chunk = 16
    private static let maximumSelfConnects: Int8 = 3
    /// Phantom connects (TCP simultaneous open with another local socket) retried for free;
    /// past this many, each counts as an unanswered attempt.
    private static let maximumPhantoms: Int8 = 5
    private static let expiryScanInterval: Int64 = 2_000_000
    /// Connects that are being answered, per thread. More only adds queueing: on loopback 128
    /// per thread measured fastest (0.56 s full range) against 1024 (0.71 s). Connects left
    /// unanswered (likely filtered) stop counting, so they cannot starve the scan.
    static let answeringWindow = 128
    /// A connect older than this many smoothed RTTs (and at least 5 ms) counts as stalled.
    private static let stallFactor: Int64 = 4
    /// A worker that never started a connect retires after failing this long (and more than
    /// `localFailureLimit` times), before any of its items would be reported as `error`.
    private static let retireAfter: Int64 = 2_000_000_000

    private let shared: SharedScan
    private let index: Int
    private let targetCount: Int
    private let timeoutPolicy: TimeoutPolicy
    private let maximumAttempts: Int32
    private let capacity: Int
    private var windowLimit: Int
    private var slots: [Slot]
    private var freeSlots: [Int]
    private var inFlight = 0
    private var stalled = 0
    private var pending: [Pending] = []
    private var nextWork = 0
    private var workEnd = 0
    private var cursorDone = false
    private var pausedUntil: Int64 = 0
    /// An item taken but not started: the shared rate schedule had no slot for it yet.
    private var held: Pending?
    /// When the rate schedule's next slot opens (meaningful while `held` is set).
    private var heldUntil: Int64 = 0
    private var lastExpiryScan: Int64 = 0
    private var successesSinceFailure = 0
    /// The NETLINK_SOCK_DIAG socket asking for listeners, opened on first use.
    private var diagSocket: Int32 = -1
    /// True once a connect of this worker started (socket and connect without a local failure).
    private var proven = false
    /// True while this worker counts in `shared.unproven`: it may hold items and may yet retire.
    private var countedUnproven = false
    /// Local failures since the last connect that started, and when the first of them happened.
    private var failureStreak = 0
    private var streakStartedAt: Int64 = 0

    /// Learned round-trip estimates, per target.
    private(set) var estimators: [RTTEstimator]
    /// Local failures met and backed off.
    private(set) var localFailures = 0
    /// Ports this worker decided (results handed on).
    private(set) var recorded = 0
    /// Connects that completed to a local port with no listener (TCP simultaneous open with
    /// another local socket), retried from another source port.
    private(set) var phantoms = 0
    /// True once this worker had its event loop and took part in the scan.
    private(set) var ran = false
    /// True once this worker gave its items to the others (see `retire`).
    private(set) var retired = false
    /// The errno of the last local failure (event loop, socket, connect), or 0.
    private(set) var lastLocalErrno: Int32 = 0
    /// The signal that stopped this worker, or 0.
    private(set) var stoppedBy: Int32 = 0

    init(shared: SharedScan, index: Int) {
        self.shared = shared
        self.index = index
        targetCount = shared.targets.count
        timeoutPolicy = shared.options.timeout
        maximumAttempts = Int32(max(0, shared.options.retries) + 1)
        let share = shared.concurrency / shared.threads + (index < shared.concurrency % shared.threads ? 1 : 0)
        capacity = max(1, share)
        windowLimit = capacity
        slots = [Slot](repeating: Slot(), count: capacity)
        freeSlots = Array((0..<capacity).reversed())
        estimators = [RTTEstimator](repeating: RTTEstimator(), count: shared.targets.count)
    }

    /// Runs until every item this worker took is decided, or a stop is requested. A worker that
    /// cannot get an event loop takes no work: it leaves the scan to the others.
    func run() {
        guard let epoll = openEventLoop() else { return }
        ran = true
        defer {
            close(epoll)
            if diagSocket >= 0 { close(diagSocket) }
            uncountUnproven()
        }
        let maxEvents = 256
        var tokens = [UInt64](repeating: 0, count: maxEvents)
        lastExpiryScan = monotonicNanoseconds()
        while true {
            let signal = shared.shouldStop()
            if signal != 0 {
                stoppedBy = signal
                abandonInFlight()
                return
            }
            var now = monotonicNanoseconds()
            fill(epoll: epoll, now: now)
            if retired { return }
            var idle = false
            if inFlight == 0 && pending.isEmpty && held == nil && cursorDone {
                // Nothing held: done, unless a worker that may yet give its items up still runs.
                uncountUnproven()
                if shared.unproven.load(ordering: .sequentiallyConsistent) == 0
                    && shared.orphanCount.load(ordering: .sequentiallyConsistent) == 0
                {
                    return
                }
                idle = true
            }
            now = monotonicNanoseconds()
            let wait = idle ? 5_000_000 : waitNanoseconds(now: now)
            let count = recon_epoll_wait_ns(epoll, &tokens, Int32(maxEvents), wait)
            now = monotonicNanoseconds()
            if count > 0 {
                for index in 0..<Int(count) { complete(slot: Int(tokens[index]), now: now) }
            }
            if now - lastExpiryScan >= Self.expiryScanInterval {
                expire(now: now)
                lastExpiryScan = now
            }
        }
    }

    /// The event loop (epoll), or nil when none could be had: like any local failure, a failed
    /// try (EMFILE, ENFILE, ENOMEM) is backed off and retried, a bounded number of times, and
    /// given up at once when every item has been handed out to workers that run.
    private func openEventLoop() -> Int32? {
        var failures = 0
        while true {
            let result = shared.makeEventLoop(index)
            if result >= 0 { return result }
            lastLocalErrno = -result
            localFailures += 1
            failures += 1
            guard failures <= shared.options.localFailureLimit else { return nil }
            let delay = min(Int64(5_000_000) << Int64(min(failures, 7)), 500_000_000)
            let until = monotonicNanoseconds() + delay
            while monotonicNanoseconds() < until {
                if shared.cursor.load(ordering: .relaxed) >= shared.total { return nil }
                let signal = shared.shouldStop()
                if signal != 0 {
                    stoppedBy = signal
                    return nil
                }
                usleep(UInt32(min(10_000, max(1, (until - monotonicNanoseconds()) / 1000))))
            }
        }
    }

    // MARK: starting connects

    private func fill(epoll: Int32, now: Int64) {
        guard now >= pausedUntil else { return }
        while inFlight < windowLimit && inFlight - stalled < Self.answeringWindow {
            // Take the item first: a worker with nothing to do must not claim (and so waste) a
            // slot of the shared rate schedule, nor wait for one.
            guard let item = held ?? nextItem(now: now) else { return }
            held = nil
            if shared.sendInterval > 0, let slot = shared.claimSendSlot(now: monotonicNanoseconds()) {
                held = item
                heldUntil = slot
                return
            }
            start(item, epoll: epoll)
            if now < pausedUntil { return }
        }
    }

    private func nextItem(now: Int64) -> Pending? {
        if let index = pending.firstIndex(where: { $0.notBefore <= now }) {
            return pending.remove(at: index)
        }
        if shared.orphanCount.load(ordering: .relaxed) > 0 {
            countUnproven()
            if let item = shared.takeOrphan() { return item }
        }
        if nextWork >= workEnd {
            guard !cursorDone else { return nil }
            countUnproven()
            let start = shared.cursor.wrappingAdd(Self.chunk, ordering: .sequentiallyConsistent).oldValue
            guard start < shared.total else {
                cursorDone = true
                return nil
            }
            nextWork = start
            workEnd = min(start + Self.chunk, shared.total)
        }
        defer { nextWork += 1 }
        return Pending(work: nextWork, retry: RetryState(), notBefore: 0)
    }

    private func start(_ item: Pending, epoll: Int32) {
        let target = item.work % targetCount
        let port = shared.ports[item.work / targetCount]
        var fd: Int32 = -1
        var immediate: Int32 = 0
        let startedAt = monotonicNanoseconds()
        let error = shared.addresses[target].withPort(port) { address, length in
            recon_start_connect(address, length, &fd, &immediate)
        }
        var retry = item.retry
        retry.attempts += 1
        guard error == 0 else {
            decide(work: item.work, retry: retry, errno: error, rtt: monotonicNanoseconds() - startedAt, fd: -1)
            return
        }
        failureStreak = 0
        if !proven {
            proven = true
            uncountUnproven()
        }
        let slotIndex = freeSlots.removeLast()
        slots[slotIndex] = Slot(fd: fd, work: item.work, startedAt: startedAt, retry: retry)
        inFlight += 1
        if immediate != 0 || recon_epoll_add_out(epoll, fd, UInt64(slotIndex)) != 0 {
            complete(slot: slotIndex, now: monotonicNanoseconds())
        }
    }

    // MARK: answers

    private func complete(slot index: Int, now: Int64) {
        let slot = slots[index]
        guard slot.fd >= 0 else { return }
        slots[index].fd = -1
        freeSlots.append(index)
        inFlight -= 1
        let error = recon_socket_error(slot.fd)
        decide(work: slot.work, retry: slot.retry, errno: error, rtt: now - slot.startedAt, fd: slot.fd)
    }

    /// Turns one connect's errno into a result or a retry; closes `fd` when given.
    private func decide(work: Int, retry: RetryState, errno error: Int32, rtt: Int64, fd: Int32) {
        let target = work % targetCount
        switch ConnectOutcome.classify(errno: error) {
        case .final(let state, let reason):
            if fd >= 0 && (state == .open || error == ECONNRESET) {
                // Only a connect to this host can meet another local socket.
                let peer = state == .open ? recon_connect_peer(fd) : -1
                if peer == 2 {
                    selfConnect(work: work, retry: retry, rtt: rtt, fd: fd)
                    return
                }
                if shared.localTargets[target] || peer == 1 {
                    let listener = shared.addresses[target].withPort(shared.ports[work / targetCount]) { address, _ in
                        recon_listener_exists(&diagSocket, address)
                    }
                    if listener == 0 {
                        phantom(work: work, retry: retry, fd: fd)
                        return
                    }
                    if listener < 0 {
                        // Cannot tell (EMFILE for the netlink socket...): a local failure.
                        recon_close_reset(fd)
                        backOff(work: work, retry: retry, errno: -listener)
                        return
                    }
                }
            }
            if fd >= 0 {
                if state == .open { recon_close_reset(fd) } else { close(fd) }
            }
            if state == .open || state == .closed { estimators[target].add(rtt) }
            successesSinceFailure += 1
            if windowLimit < capacity && successesSinceFailure >= 32 {
                windowLimit = min(capacity, windowLimit + max(1, windowLimit / 8))
                successesSinceFailure = 0
            }
            record(work: work, state: state, reason: reason, rtt: rtt, errno: error, retry: retry)
        case .timedOut:
            if fd >= 0 { close(fd) }
            retryOrGiveUp(work: work, retry: retry)
        case .localFailure:
            if fd >= 0 { close(fd) }
            backOff(work: work, retry: retry, errno: error)
        }
    }

    /// The socket connected to itself: the kernel chose the target port as the source port.
    /// Nothing listens there; try again from another source port, a few times.
    private func selfConnect(work: Int, retry: RetryState, rtt: Int64, fd: Int32) {
        // A reset, not a FIN: a socket closing on itself would sit in TIME_WAIT for 60 s.
        recon_close_reset(fd)
        var next = retry
        next.selfConnects += 1
        next.attempts -= 1
        if next.selfConnects < Self.maximumSelfConnects {
            pending.append(Pending(work: work, retry: next, notBefore: 0))
        } else {
            record(work: work, state: .closed, reason: .selfConnect, rtt: rtt, errno: 0, retry: retry)
        }
    }

    /// The connect completed (or was reset) to a local port where nothing listens: a TCP
    /// simultaneous open with another local socket whose source port is our target port and
    /// whose target is our source port (one of ours, or another process's connect). No open
    /// port; retry from another source port, without counting the attempt, a few times; after
    /// that each such connect counts as an unanswered attempt. The reset tells the other socket.
    private func phantom(work: Int, retry: RetryState, fd: Int32) {
        recon_close_reset(fd)
        phantoms += 1
        var next = retry
        next.phantoms += 1
        if next.phantoms <= Self.maximumPhantoms {
            next.attempts -= 1
            pending.append(Pending(work: work, retry: next, notBefore: 0))
        } else {
            retryOrGiveUp(work: work, retry: next)
        }
    }

    /// A local failure: the scanner, not the port, failed. Shrink the window, pause, retry later.
    private func backOff(work: Int, retry: RetryState, errno error: Int32) {
        localFailures += 1
        lastLocalErrno = error
        successesSinceFailure = 0
        let now = monotonicNanoseconds()
        if failureStreak == 0 { streakStartedAt = now }
        failureStreak += 1
        var next = retry
        next.attempts -= 1
        next.localFailures += 1
        if Int(next.localFailures) > shared.options.localFailureLimit {
            record(work: work, state: .error, reason: .localError, rtt: nil, errno: error, retry: retry)
            return
        }
        windowLimit = max(1, min(windowLimit, inFlight) * 3 / 4)
        let delay = min(Int64(5_000_000) << Int64(min(next.localFailures, 7)), 500_000_000)
        pausedUntil = max(pausedUntil, now + delay / 4)
        pending.append(Pending(work: work, retry: next, notBefore: now + delay))
        if !proven && failureStreak > shared.options.localFailureLimit
            && now - streakStartedAt >= Self.retireAfter
        {
            retire()
        }
    }

    /// A worker that has not started a single connect and keeps failing (its descriptors are
    /// gone, to other threads or the limit): it hands every item it holds to the other workers
    /// and stops. When no worker can start connects, the items stay unscanned and the scan
    /// fails (`ScanFailure`), rather than reporting ports as errors one back-off at a time.
    private func retire() {
        var items = pending
        if let held { items.append(held) }
        for work in nextWork..<max(nextWork, workEnd) {
            items.append(Pending(work: work, retry: RetryState(), notBefore: 0))
        }
        for index in items.indices {
            items[index].notBefore = 0
            items[index].retry.localFailures = 0
        }
        pending = []
        held = nil
        nextWork = workEnd
        retired = true
        shared.adopt(items)
        uncountUnproven()
    }

    private func countUnproven() {
        guard !proven && !countedUnproven else { return }
        shared.unproven.wrappingAdd(1, ordering: .sequentiallyConsistent)
        countedUnproven = true
    }

    private func uncountUnproven() {
        guard countedUnproven else { return }
        shared.unproven.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        countedUnproven = false
    }

    private func retryOrGiveUp(work: Int, retry: RetryState) {
        if retry.attempts < maximumAttempts {
            pending.append(Pending(work: work, retry: retry, notBefore: 0))
        } else {
            record(work: work, state: .filtered, reason: .noResponse, rtt: nil, errno: 0, retry: retry)
        }
    }

    private func record(
        work: Int, state: PortState, reason: PortReason, rtt: Int64?, errno error: Int32, retry: RetryState
    ) {
        let keepsErrno = state == .filtered || state == .error
        let result = PortResult(
            port: shared.ports[work / targetCount], state: state, reason: reason, rttNanoseconds: rtt,
            errno: keepsErrno ? error : 0, attempts: Int(max(retry.attempts, 1)))
        recorded += 1
        shared.onResult(work % targetCount, result)
    }

    // MARK: timeouts and stopping

    /// Gives up connects past their timeout and recounts the stalled ones.
    private func expire(now: Int64) {
        stalled = 0
        guard inFlight > 0 else { return }
        for index in slots.indices where slots[index].fd >= 0 {
            let slot = slots[index]
            let estimator = estimators[slot.work % targetCount]
            let age = now - slot.startedAt
            guard age >= estimator.timeout(timeoutPolicy) else {
                if age > max(5_000_000, (estimator.smoothed ?? 0) * Self.stallFactor) { stalled += 1 }
                continue
            }
            slots[index].fd = -1
            freeSlots.append(index)
            inFlight -= 1
            close(slot.fd)
            retryOrGiveUp(work: slot.work, retry: slot.retry)
        }
    }

    /// How long to wait for events: 2 ms while connects are in flight (expiry checks), but
    /// never past the rate schedule's next slot for a held item, nor past a back-off or retry.
    private func waitNanoseconds(now: Int64) -> Int64 {
        var until: Int64
        if inFlight > 0 {
            until = now + 2_000_000
            if held != nil && pausedUntil <= now { until = min(until, heldUntil) }
        } else if pausedUntil > now {
            until = pausedUntil  // backing off: nothing starts before then
        } else {
            until = pending.lazy.map(\.notBefore).min() ?? .max
            if held != nil { until = min(until, heldUntil) }
        }
        guard until != Int64.max else { return 0 }
        return max(0, min(until - now, 100_000_000))
    }

    private func abandonInFlight() {
        for index in slots.indices where slots[index].fd >= 0 {
            close(slots[index].fd)
            slots[index].fd = -1
        }
        inFlight = 0
    }
}
