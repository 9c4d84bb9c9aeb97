import ArgumentParser
import CSICapture
#if canImport(Glibc)
import Glibc
#endif

/// Capture-file options shared by `csihar replay` and `csihar inspect`.
struct ReplayCaptureOptions: ParsableArguments {
    @Option(name: .customLong("capture-format"),
            help: "Capture format: auto, intel5300, nexmon, esp32, atheros, picoscenes, feitcsi (auto: from the first bytes and the extension).")
    var captureFormat: String = "auto"

    @Option(help: "Nexmon chip to assume (4339, 43455c0, 4358, 4366c0); needed for old files whose chip field is 0xdead.")
    var chip: String?

    @Option(name: .customLong("udp-port"), help: "Nexmon: UDP destination port of the CSI packets (0: any).")
    var udpPort: Int = 5500

    @Flag(name: .customLong("no-autoscale"),
          help: "Nexmon packed-float chips: fixed shift instead of per-packet autoscale (autoscale matches the MATLAB references).")
    var noAutoscale = false

    @Flag(help: "Follow a growing file (like tail -f): wait for new records at the end instead of stopping.")
    var follow = false

    /// Opens the capture file with these options; errors name the file.
    func open(path: String) throws -> any CaptureReader {
        var format: CaptureFormat?
        if captureFormat != "auto" {
            guard let chosen = CaptureFormat(rawValue: captureFormat) else {
                throw ValidationError("--capture-format must be auto, intel5300, nexmon, esp32, atheros, picoscenes or feitcsi (got \(captureFormat))")
            }
            format = chosen
        }
        var options = CaptureOptions(follow: follow, nexmonAutoscale: !noAutoscale,
                                     udpPort: udpPort == 0 ? nil : UInt16(clamping: udpPort))
        if let chip {
            guard let parsed = NexmonChip(name: chip) else {
                throw ValidationError("--chip must be one of 4339, 43455c0, 4358, 4366c0 (got \(chip))")
            }
            options.nexmonChip = parsed
        }
        return try CaptureFile.open(path: path, format: format, options: options)
    }
}

/// Writes bytes to a file descriptor through one reusable buffer.
final class ReplayOutputBuffer {
    /// The destination descriptor (1 = stdout).
    private let descriptor: Int32
    /// Pending bytes. (up to `flushThreshold` + one frame)
    var bytes: [UInt8] = []
    /// Flush when this many bytes are pending.
    private let flushThreshold: Int

    /// Creates a buffer writing to `descriptor`.
    init(descriptor: Int32 = 1, flushThreshold: Int = 1 << 18) {
        self.descriptor = descriptor
        self.flushThreshold = flushThreshold
        bytes.reserveCapacity(flushThreshold + (1 << 16))
    }

    /// Flushes when the threshold is reached.
    @inline(__always)
    func flushIfFull() throws {
        if bytes.count >= flushThreshold { try flush() }
    }

    /// Writes every pending byte.
    func flush() throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                write(descriptor, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw ExitCode(EPIPE == errno ? 0 : 1)
            }
            written += result
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Prints recoverable capture issues to stderr: the first `limit` in full, then only counts.
final class ReplayIssuePrinter: @unchecked Sendable {
    /// Issues printed in full before switching to counting only.
    let limit: Int
    /// Issues seen so far.
    private(set) var seen = 0
    /// The progress line the messages must not break (``ProgressReporter/note(_:)``).
    var progress: ProgressReporter?

    /// Creates a printer.
    init(limit: Int = 50) { self.limit = limit }

    /// Prints (or counts) one issue; benign skips (non-CSI records/packets) are only counted by the reader.
    func print(_ issue: CaptureIssue) {
        guard !issue.isBenign else { return }
        seen += 1
        if seen <= limit {
            emit("csihar: \(issue)")
        } else if seen == limit + 1 {
            emit("csihar: more issues follow; only counting them from here")
        }
    }
}

extension ReplayIssuePrinter {
    private func emit(_ line: String) {
        if let progress { progress.note(line) } else { standardError(line + "\n") }
    }
}

/// Writes `text` to stderr.
func standardError(_ text: String) {
    var text = text
    text.withUTF8 { raw in _ = write(2, raw.baseAddress, raw.count) }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}

/// `kind=count, kind=count` sorted by kind, or `none`.
func describeIssueCounts(_ counts: [String: Int]) -> String {
    counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
}
