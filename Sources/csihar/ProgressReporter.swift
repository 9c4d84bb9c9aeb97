#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of long work (`simulate --count`, `dataset export`, `evaluate`, `replay`) on **stderr**; stdout
/// carries the commands' data and is never written here. One line, e.g.
/// `simulate: 37/240 recordings (15%), 12 s, ETA 20 s`:
///
/// * stderr a terminal (``Mode/terminal``): the line is redrawn in place at most 5 times a second (cut to the
///   terminal's width), and ``finish()`` leaves the last state on screen;
/// * stderr a file, pipe or journal (``Mode/periodic(seconds:)``): one plain line every 10 s, the first after 10 s,
///   so short runs print nothing and logs stay readable;
/// * `--no-progress` (``Mode/off``): nothing.
///
/// Messages printed while the line is shown go through ``note(_:)`` or ``interrupt(_:)`` so that the line is
/// cleared first and redrawn after. Used from one thread (the command's loop and the reader callbacks it drives).
final class ProgressReporter: @unchecked Sendable {
    /// How progress is shown.
    enum Mode: Equatable {
        /// One line redrawn in place.
        case terminal
        /// A plain line every `seconds`.
        case periodic(seconds: Double)
        /// Nothing.
        case off
    }

    /// `.off` when `disabled`, else `.terminal` when stderr is a terminal, else `.periodic(seconds: 10)`.
    static func automaticMode(disabled: Bool = false) -> Mode {
        if disabled { return .off }
        return isatty(2) == 1 ? .terminal : .periodic(seconds: 10)
    }

    /// Seconds between two redraws of the terminal line.
    static let terminalInterval = 0.2

    /// The command, first on the line (`simulate`).
    let task: String
    /// What is counted (`recordings`, `frames`).
    let unit: String
    /// How many there are, when known.
    var total: Int?
    /// How progress is shown.
    let mode: Mode

    private let write: (String) -> Void
    private let clock: () -> Double
    private let started: Double
    private var lastDraw: Double
    /// A terminal line is on screen (no newline after it yet).
    private var lineShown = false
    private var finished = false
    /// `done` moved on since `fraction` and `detail` were taken.
    private var staleFigures = false
    private(set) var done = 0
    private var fraction: Double?
    private var detail: String?
    private let columns: Int

    /// A reporter for `task`; `write` receives everything it prints (default: stderr), `clock` is in seconds.
    init(task: String, unit: String, total: Int? = nil, mode: Mode = ProgressReporter.automaticMode(),
         write: @escaping (String) -> Void = standardError, clock: @escaping () -> Double = monotonicSeconds,
         columns: Int? = nil) {
        self.task = task
        self.unit = unit
        self.total = total
        self.mode = mode
        self.write = write
        self.clock = clock
        started = clock()
        lastDraw = started
        self.columns = columns ?? (mode == .terminal ? Self.terminalColumns() : 0)
    }

    /// Whether anything can be printed.
    var isEnabled: Bool { mode != .off }

    /// `done` units so far; `fraction` (0...1) when the share of the work is known otherwise than `done/total`
    /// (bytes of a capture read); `detail` is added after the count (`3 issues`). Prints only when due;
    /// `fraction` and `detail` are evaluated only then (cheap enough to call once per frame).
    func update(done: Int, fraction: @autoclosure () -> Double? = nil, detail: @autoclosure () -> String? = nil) {
        guard mode != .off, !finished else { return }
        self.done = done
        let now = clock()
        guard isDue(now) else {
            staleFigures = true
            return
        }
        self.fraction = fraction()
        self.detail = detail()
        staleFigures = false
        draw(now: now)
    }

    /// Sets every figure for the next line (the final one before ``finish()``) without printing.
    func record(done: Int, fraction: Double?, detail: String?) {
        self.done = done
        self.fraction = fraction
        self.detail = detail
        staleFigures = false
    }

    /// One more unit done (`detail` as for ``update(done:fraction:detail:)``); prints when due.
    func advance(detail: String? = nil) {
        guard mode != .off, !finished else { return }
        record(done: done + 1, fraction: nil, detail: detail)
        let now = clock()
        if isDue(now) { draw(now: now) }
    }

    /// Prints `message` (a line of its own, on stderr) without breaking the progress line.
    func note(_ message: String) {
        interrupt { write(message + "\n") }
    }

    /// Runs `body`, which prints something (stdout or stderr), with the terminal line cleared first; the next
    /// update draws it again. stdout is flushed so that its line lands before that.
    func interrupt(_ body: () -> Void) {
        guard mode == .terminal, lineShown, !finished else { body(); return }
        write("\r\u{1B}[K")
        lineShown = false
        body()
        fflush(nil)   // stdout (print goes through C stdio)
    }

    /// The end: a terminal line shows the final state (figures from the last update that printed, or from
    /// ``record(done:fraction:detail:)``; `done/total` otherwise) and ends with a newline; a periodic log prints
    /// nothing more.
    func finish() {
        guard !finished else { return }
        if mode == .terminal {
            if staleFigures { fraction = nil }
            drawTerminal(now: clock())
            write("\n")
        }
        finished = true
        lineShown = false
    }

    private func isDue(_ now: Double) -> Bool {
        switch mode {
        case .terminal: return !lineShown || now - lastDraw >= Self.terminalInterval
        case .periodic(let seconds): return now - lastDraw >= seconds
        case .off: return false
        }
    }

    private func draw(now: Double) {
        lastDraw = now
        if mode == .terminal { drawTerminal(now: now) } else { write(currentLine(now: now) + "\n") }
    }

    private func drawTerminal(now: Double) {
        var line = currentLine(now: now)
        if columns > 1, line.count >= columns { line = String(line.prefix(columns - 1)) }
        write("\r\u{1B}[K" + line)
        lineShown = true
    }

    private func currentLine(now: Double) -> String {
        Self.line(task: task, done: done, total: total, unit: unit, fraction: fraction, detail: detail,
                  elapsed: now - started)
    }

    /// `task: done/total unit (pct%), detail, elapsed, ETA eta`; the share is `fraction`, else `done/total`; the
    /// ETA is shown once 1 s has passed and the share is within (0, 1).
    static func line(task: String, done: Int, total: Int?, unit: String, fraction: Double?, detail: String?,
                     elapsed: Double) -> String {
        var text = "\(task): \(done)"
        if let total { text += "/\(total)" }
        text += " \(unit)"
        let share = fraction ?? total.flatMap { $0 > 0 ? Double(done) / Double($0) : nil }
        if let share { text += " (\(Int((min(max(share, 0), 1) * 100).rounded(.down)))%)" }
        if let detail, !detail.isEmpty { text += ", " + detail }
        text += ", " + duration(elapsed)
        if let share, share > 0, share < 1, elapsed >= 1 {
            text += ", ETA " + duration(elapsed * (1 - share) / share)
        }
        return text
    }

    /// `12 s`, `4 min 05 s`, `2 h 03 min`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds).rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min " + twoDigits(whole % 60) + " s" }
        return "\(whole / 3600) h " + twoDigits(whole / 60 % 60) + " min"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// The width of the terminal on stderr (80 when unknown).
    private static func terminalColumns() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
