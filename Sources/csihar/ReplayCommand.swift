import ArgumentParser
import CSICapture
#if canImport(Glibc)
import Glibc
#endif

/// `csihar replay`: decode a capture and print one NDJSON object per frame, paced by capture time or at full speed.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a capture file as NDJSON frames on stdout (Intel 5300 .dat, Nexmon pcap, ESP32 CSV, Atheros, PicoScenes and FeitCSI .csi).",
        discussion: """
            Each line: {"timestamp","device","source","sequence","nrx","ntx","nsub","bandwidth","subcarriers",\
            "rssi","noise","agc","csi":{"re":[...],"im":[...]}} with CSI flattened (tx, rx, subcarrier), subcarriers \
            ascending. Recoverable faults go to stderr with file and byte offset; the replay goes on.
            """)

    @Option(help: "Replay speed: 'max' (as fast as possible) or a factor of capture time (1 = real time, 10 = 10x).")
    var speed: String = "1"

    @Option(help: "Output format (only ndjson).")
    var format: String = "ndjson"

    @Flag(help: "Intel 5300: output CSI in SNR units (get_scaled_csi).")
    var scaled = false

    @OptionGroup var capture: ReplayCaptureOptions

    @Argument(help: "Capture file.")
    var file: String

    func validate() throws {
        guard format == "ndjson" else { throw ValidationError("--format must be ndjson (got \(format))") }
        if speed != "max" {
            guard let factor = Double(speed), factor > 0, factor.isFinite else {
                throw ValidationError("--speed must be 'max' or a positive number (got \(speed))")
            }
        }
    }

    func run() throws {
        let reader: any CaptureReader
        do {
            reader = try capture.open(path: file)
        } catch let error as CaptureError {
            standardError("csihar replay: \(error)\n")
            throw ExitCode.failure
        }
        let printer = ReplayIssuePrinter()
        reader.onIssue = printer.print
        let progress = ReplayProgress(path: file, reader: reader)
        printer.clearsProgressLine = progress.enabled

        let factor = speed == "max" ? nil : Double(speed)
        let output = ReplayOutputBuffer()
        var firstCaptureTime: Double?
        var wallStart = 0.0
        var frames = 0
        var warnedUnscalable = false
        while true {
            guard var frame = try reader.nextFrame() else {
                if capture.follow {
                    try output.flush()
                    usleep(50_000)
                    continue
                }
                break
            }
            if scaled {
                if frame.device == .intel5300 {
                    Intel5300Scaling.scale(&frame)
                } else if !warnedUnscalable {
                    standardError("csihar replay: --scaled applies to Intel 5300 frames only; \(frame.device) frames are written unscaled\n")
                    warnedUnscalable = true
                }
            }
            if let factor {
                // Pace by capture time: frame k is due at wallStart + (t_k - t_0) / speed.
                if let first = firstCaptureTime {
                    let due = wallStart + (frame.timestamp - first) / factor
                    let wait = due - monotonicSeconds()
                    if wait > 0 {
                        try output.flush()
                        usleep(UInt32(min(wait, 3600) * 1e6))
                    }
                } else {
                    firstCaptureTime = frame.timestamp
                    wallStart = monotonicSeconds()
                }
            }
            frame.appendNDJSON(to: &output.bytes)
            frames += 1
            try output.flushIfFull()
            progress.update(frames: frames, issues: printer.seen)
        }
        try output.flush()
        progress.finish(frames: frames, issues: printer.seen)
        if !reader.issueCounts.isEmpty {
            standardError("csihar replay: \(frames) frames; skipped/faulty records: \(describeIssueCounts(reader.issueCounts))\n")
        }
    }
}

/// A one-line progress bar on stderr, shown only when stderr is a terminal.
final class ReplayProgress {
    /// True when stderr is a TTY.
    let enabled: Bool
    /// The reader, when it can report its byte position.
    private let positioned: (any CaptureProgressReporting)?
    /// File size in bytes (0 when unknown).
    private let size: UInt64
    /// Last time the line was drawn.
    private var lastDraw = 0.0

    /// Prepares the progress line for `path`.
    init(path: String, reader: any CaptureReader) {
        enabled = isatty(2) == 1
        positioned = reader as? any CaptureProgressReporting
        var info = stat()
        size = stat(path, &info) == 0 ? UInt64(info.st_size) : 0
    }

    /// Redraws at most 5 times a second.
    @inline(__always)
    func update(frames: Int, issues: Int) {
        guard enabled else { return }
        let now = monotonicSeconds()
        guard now - lastDraw >= 0.2 else { return }
        lastDraw = now
        draw(frames: frames, issues: issues)
    }

    /// Draws the final state and ends the line.
    func finish(frames: Int, issues: Int) {
        guard enabled else { return }
        draw(frames: frames, issues: issues)
        standardError("\n")
    }

    private func draw(frames: Int, issues: Int) {
        var line = "\r\u{1B}[K"
        if let positioned, size > 0 {
            let fraction = min(1, Double(positioned.bytesConsumed) / Double(size))
            let filled = Int(fraction * 30)
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] "
            line += "\(Int(fraction * 100))% "
        }
        line += "\(frames) frames, \(issues) issues"
        standardError(line)
    }
}
