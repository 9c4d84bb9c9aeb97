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

    @Flag(help: "No progress line on stderr (shown on a terminal; elsewhere one line every 10 s).")
    var noProgress = false

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
        // A followed file never ends: its progress line is shown on a terminal only.
        var mode = ProgressReporter.automaticMode(disabled: noProgress)
        if capture.follow, mode != .terminal { mode = .off }
        let progress = ProgressReporter(task: "replay", unit: "frames", mode: mode)
        let fraction = CaptureFraction(path: file, reader: reader)
        printer.progress = progress

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
            progress.update(done: frames, fraction: fraction.value, detail: "\(printer.seen) issues")
        }
        try output.flush()
        progress.record(done: frames, fraction: fraction.value, detail: "\(printer.seen) issues")
        progress.finish()
        if !reader.issueCounts.isEmpty {
            standardError("csihar replay: \(frames) frames; skipped/faulty records: \(describeIssueCounts(reader.issueCounts))\n")
        }
    }
}
