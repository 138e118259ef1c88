import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Shows how far a scan has got on standard error: on a terminal, one status line redrawn a few
/// times a second (phase, percent, ports per second, ETA, open ports), with open ports printed
/// above it as they are found when asked; elsewhere (CI logs, `--stats-every`), one plain line
/// per interval, never a carriage return or an escape code.
///
/// `@unchecked Sendable`: the timer is made in `init` and only scheduled by `start` and cancelled
/// by `stop`, which its owner calls in turn; everything else is behind `state`'s lock and runs on
/// the display's serial queue.
public final class ProgressDisplay: @unchecked Sendable {
    /// How the display shows itself.
    public enum Mode: Sendable, Equatable {
        /// A status line on a terminal, redrawn every `refresh` nanoseconds.
        case terminal(refresh: Int64)
        /// A plain line every `interval` nanoseconds.
        case lines(every: Int64)
    }

    private let progress: ScanProgress
    private let output: any ReportOutput
    private let mode: Mode
    private let width: Int
    private let queue = DispatchQueue(label: "recon.progress")
    private let timer: any DispatchSourceTimer
    private let state = Mutex<State>(State())

    private struct State {
        /// A status line is on screen (terminal mode).
        var drawn = false
        /// `start` resumed the timer (a suspended dispatch source must not be released).
        var started = false
        var lastDecided = 0
        var lastTime: Int64 = 0
        var rate = 0.0
    }

    /// A display of `progress` on `output` (standard error), `width` columns wide on a terminal.
    public init(progress: ScanProgress, output: any ReportOutput, mode: Mode, width: Int = 80) {
        self.progress = progress
        self.output = output
        self.mode = mode
        self.width = max(20, width)
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    /// Starts showing; call `stop` when the scan is over.
    public func start() {
        let interval: Int64
        switch mode {
        case .terminal(let refresh): interval = refresh
        case .lines(let every): interval = every
        }
        timer.schedule(deadline: .now() + .nanoseconds(Int(interval)), repeating: .nanoseconds(Int(interval)))
        timer.setEventHandler { [self] in tick() }
        state.withLock { $0.started = true }
        timer.resume()
    }

    /// Stops showing and removes the status line.
    public func stop() {
        timer.cancel()
        if !state.withLock({ $0.started }) { timer.resume() }  // cancelled first, so it never fires
        queue.sync {
            state.withLock { state in
                if state.drawn { output.write(Array("\r\u{1B}[K".utf8)) }
                state.drawn = false
            }
        }
    }

    /// Prints `line` above the status line (an open port as it is found), at once: the status
    /// line comes back at the next refresh.
    public func announce(_ line: String) {
        queue.sync {
            state.withLock { state in
                let clear = state.drawn ? "\r\u{1B}[K" : ""
                output.write(Array((clear + TerminalText.escaped(line) + "\n").utf8))
                state.drawn = false
            }
        }
    }

    /// Draws the status line, or prints a plain one.
    private func tick() {
        let now = monotonicNanoseconds()
        let line = state.withLock { state -> String in
            let decided = progress.decided
            if state.lastTime > 0, now > state.lastTime {
                let recent = Double(decided - state.lastDecided) * 1e9 / Double(now - state.lastTime)
                state.rate = state.rate == 0 ? recent : 0.7 * state.rate + 0.3 * recent
            }
            state.lastDecided = decided
            state.lastTime = now
            return Self.describe(progress, rate: state.rate)
        }
        switch mode {
        case .terminal:
            output.write(Array(("\r\u{1B}[K" + String(line.prefix(width - 1))).utf8))
            state.withLock { $0.drawn = true }
        case .lines:
            output.write(Array("recon: \(line)\n".utf8))
        }
    }

    /// `connect 42% 27315/65535 ports, 51230/s, ETA 0:01, 3 open` (and the like for later phases).
    static func describe(_ progress: ScanProgress, rate: Double) -> String {
        let open = "\(progress.open) open"
        switch progress.phase {
        case .starting: return "starting"
        case .connect:
            let decided = progress.decided
            let percent = progress.total == 0 ? 100 : decided * 100 / progress.total
            var parts = ["connect \(percent)% \(decided)/\(progress.total) ports"]
            if rate > 0 {
                parts.append("\(Int(rate.rounded()))/s")
                parts.append("ETA \(Self.duration(Double(progress.total - decided) / rate))")
            }
            return (parts + [open]).joined(separator: ", ")
        case .probe: return "probe \(progress.probed)/\(progress.probeTotal) open ports, \(open)"
        case .audit: return "audit, \(open)"
        case .done: return "done, \(open)"
        }
    }

    /// `m:ss` (or `h:mm:ss`).
    static func duration(_ seconds: Double) -> String {
        let whole = Int(max(0, min(seconds, 359_999)).rounded(.up))
        let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
        let mm = hours > 0 && minutes < 10 ? "0\(minutes)" : "\(minutes)"
        return (hours > 0 ? "\(hours):" : "") + "\(mm):" + (secs < 10 ? "0\(secs)" : "\(secs)")
    }
}

/// Facts about the terminal recon writes to.
public enum TerminalFacts {
    /// True when `descriptor` is a terminal.
    public static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    /// The terminal's width in columns (80 when it cannot be told).
    public static func width(_ descriptor: Int32) -> Int {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// True when colour is wanted on `descriptor`: a terminal, and no `NO_COLOR` in the environment.
    public static func wantsColour(_ descriptor: Int32) -> Bool {
        isTerminal(descriptor) && getenv("NO_COLOR").map { $0.pointee == 0 } ?? true
    }
}
