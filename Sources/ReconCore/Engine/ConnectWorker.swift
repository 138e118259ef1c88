import CReconShim
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

    /// What a work item carries between attempts.
    private struct RetryState {
        var attempts: Int32 = 0
        var localFailures: Int16 = 0
        var selfConnects: Int16 = 0
    }

    /// A work item waiting to be (re)connected.
    private struct Pending {
        var work: Int
        var retry: RetryState
        var notBefore: Int64
    }

    private static let chunk = 16
    private static let maximumSelfConnects: Int16 = 3
    private static let expiryScanInterval: Int64 = 2_000_000
    /// Connects that are being answered, per thread. More only adds queueing: on loopback 128
    /// per thread measured fastest (0.56 s full range) against 1024 (0.71 s). Connects left
    /// unanswered (likely filtered) stop counting, so they cannot starve the scan.
    static let answeringWindow = 128
    /// A connect older than this many smoothed RTTs (and at least 5 ms) counts as stalled.
    private static let stallFactor: Int64 = 4

    private let shared: SharedScan
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
    private var nextSendAt: Int64 = 0
    private let sendInterval: Int64
    private var lastExpiryScan: Int64 = 0
    private var successesSinceFailure = 0

    /// Learned round-trip estimates, per target.
    private(set) var estimators: [RTTEstimator]
    /// Local failures met and backed off.
    private(set) var localFailures = 0
    /// The signal that stopped this worker, or 0.
    private(set) var stoppedBy: Int32 = 0

    init(shared: SharedScan, index: Int) {
        self.shared = shared
        targetCount = shared.targets.count
        timeoutPolicy = shared.options.timeout
        maximumAttempts = Int32(max(0, shared.options.retries) + 1)
        let share = shared.concurrency / shared.threads + (index < shared.concurrency % shared.threads ? 1 : 0)
        capacity = max(1, share)
        windowLimit = capacity
        slots = [Slot](repeating: Slot(), count: capacity)
        freeSlots = Array((0..<capacity).reversed())
        estimators = [RTTEstimator](repeating: RTTEstimator(), count: shared.targets.count)
        if let rate = shared.options.rate, rate > 0 {
            sendInterval = Int64(Double(shared.threads) * 1e9 / rate)
        } else {
            sendInterval = 0
        }
    }

    /// Runs until every item this worker took is decided, or a stop is requested.
    func run() {
        let epoll = recon_epoll_create()
        guard epoll >= 0 else {
            failEverything(errno: errno)
            return
        }
        defer { close(epoll) }
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
            if inFlight == 0 && pending.isEmpty && cursorDone { return }
            let count = recon_epoll_wait(epoll, &tokens, Int32(maxEvents), waitMilliseconds(now: now))
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

    // MARK: starting connects

    private func fill(epoll: Int32, now: Int64) {
        guard now >= pausedUntil else { return }
        while inFlight < windowLimit && inFlight - stalled < Self.answeringWindow {
            if sendInterval > 0 {
                if nextSendAt > now { return }
                nextSendAt = max(nextSendAt, now - sendInterval) + sendInterval
            }
            guard let item = nextItem(now: now) else { return }
            start(item, epoll: epoll)
            if now < pausedUntil { return }
        }
    }

    private func nextItem(now: Int64) -> Pending? {
        if let index = pending.firstIndex(where: { $0.notBefore <= now }) {
            return pending.remove(at: index)
        }
        if nextWork >= workEnd {
            guard !cursorDone else { return nil }
            let start = shared.cursor.wrappingAdd(Self.chunk, ordering: .relaxed).oldValue
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
            if state == .open, fd >= 0, recon_is_self_connect(fd) != 0 {
                close(fd)
                var next = retry
                next.selfConnects += 1
                next.attempts -= 1
                if next.selfConnects < Self.maximumSelfConnects {
                    pending.append(Pending(work: work, retry: next, notBefore: 0))
                } else {
                    record(work: work, state: .closed, reason: .selfConnect, rtt: rtt, errno: 0, retry: retry)
                }
                return
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

    /// A local failure: the scanner, not the port, failed. Shrink the window, pause, retry later.
    private func backOff(work: Int, retry: RetryState, errno error: Int32) {
        localFailures += 1
        successesSinceFailure = 0
        var next = retry
        next.attempts -= 1
        next.localFailures += 1
        if Int(next.localFailures) > shared.options.localFailureLimit {
            record(work: work, state: .error, reason: .localError, rtt: nil, errno: error, retry: retry)
            return
        }
        windowLimit = max(1, min(windowLimit, inFlight) * 3 / 4)
        let delay = min(Int64(5_000_000) << Int64(min(next.localFailures, 7)), 500_000_000)
        let now = monotonicNanoseconds()
        pausedUntil = max(pausedUntil, now + delay / 4)
        pending.append(Pending(work: work, retry: next, notBefore: now + delay))
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
        shared.results[work] = result
        shared.onResult?(work % targetCount, result)
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

    private func waitMilliseconds(now: Int64) -> Int32 {
        if inFlight > 0 { return 2 }
        var until: Int64
        if pausedUntil > now {
            until = pausedUntil  // backing off: nothing starts before then
        } else {
            until = pending.lazy.map(\.notBefore).min() ?? .max
            if sendInterval > 0 { until = min(until, nextSendAt) }
        }
        guard until != Int64.max else { return 0 }
        return Int32(clamping: max(0, min((until - now + 999_999) / 1_000_000, 100)))
    }

    private func abandonInFlight() {
        for index in slots.indices where slots[index].fd >= 0 {
            close(slots[index].fd)
            slots[index].fd = -1
        }
        inFlight = 0
    }

    private func failEverything(errno error: Int32) {
        while let item = nextItem(now: 0) {
            record(work: item.work, state: .error, reason: .localError, rtt: nil, errno: error, retry: item.retry)
        }
    }
}
