import ArgumentParser
import CSICapture
import CSIEvents
import Foundation

/// `csihar inspect`: summarise a capture file (frames, duration, rate, antennas, bandwidth, gaps, errors per kind).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a capture: frames, duration, rate, antennas, bandwidth, gaps, errors per kind.")

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .customLong("count-only"), help: .hidden)
    var countOnly = false

    @OptionGroup var capture: ReplayCaptureOptions

    @Argument(help: "Capture file.")
    var file: String

    func run() throws {
        let reader: any CaptureReader
        do {
            reader = try capture.open(path: file)
        } catch let error as CaptureError {
            standardError("csihar inspect: \(error)\n")
            throw ExitCode.failure
        }
        if countOnly {
            // Benchmark path: decode every frame, print only the count.
            var frames = 0
            while try reader.nextFrame() != nil { frames += 1 }
            print(frames)
            return
        }
        let issues = InspectIssueLog()
        reader.onIssue = issues.add
        var statistics = CaptureStatistics()
        while let frame = try reader.nextFrame() { statistics.add(frame) }
        let summary = InspectSummary(file: file, format: Self.formatName(of: reader), statistics: statistics,
                                     issueCounts: reader.issueCounts, firstIssues: issues.first,
                                     skippedBytes: Self.skippedBytes(of: reader),
                                     segments: (reader as? PicoScenesReader)?.segmentCounts)
        print(json ? summary.jsonText() : summary.text())
    }

    /// Bytes a resynchronising reader skipped, `nil` for readers that do not count them.
    static func skippedBytes(of reader: any CaptureReader) -> UInt64? {
        switch reader {
        case let intel as Intel5300Reader: return intel.skippedBytes
        case let atheros as AtherosReader: return atheros.skippedBytes
        case let pico as PicoScenesReader: return pico.skippedBytes
        case let feit as FeitCSIReader: return feit.skippedBytes
        case let nexmon as NexmonPcapReader: return nexmon.skippedBytes
        default: return nil
        }
    }

    /// The format name for a reader.
    static func formatName(of reader: any CaptureReader) -> String {
        switch reader {
        case is Intel5300Reader: return CaptureFormat.intel5300.rawValue
        case is NexmonPcapReader: return CaptureFormat.nexmon.rawValue
        case is ESP32CSVReader: return CaptureFormat.esp32.rawValue
        case is AtherosReader: return CaptureFormat.atheros.rawValue
        case is PicoScenesReader: return CaptureFormat.picoscenes.rawValue
        case is FeitCSIReader: return CaptureFormat.feitcsi.rawValue
        case let pending as CSIFileFormatFollower: return pending.inner.map { formatName(of: $0) } ?? "unknown"
        default: return "unknown"
        }
    }
}

/// Keeps the first few issues in full (the rest are only counted by the reader).
final class InspectIssueLog: @unchecked Sendable {
    /// The first issues, at most `limit`.
    private(set) var first: [CaptureIssue] = []
    /// Issues kept in full.
    let limit = 10

    /// Records an issue.
    func add(_ issue: CaptureIssue) {
        if first.count < limit { first.append(issue) }
    }
}

/// What `csihar inspect` prints, as text or JSON.
struct InspectSummary {
    let file: String
    let format: String
    let statistics: CaptureStatistics
    let issueCounts: [String: Int]
    let firstIssues: [CaptureIssue]
    let skippedBytes: UInt64?
    /// PicoScenes segments per `"Name vN"`, `nil` for other formats.
    var segments: [String: Int]? = nil

    /// `key: count, key: count` sorted by key.
    private func counts<K: Comparable>(_ values: [K: Int], unit: String = "") -> String {
        values.isEmpty ? "-" : values.sorted { $0.key < $1.key }.map { "\($0.key)\(unit): \($0.value)" }.joined(separator: ", ")
    }

    /// Human-readable lines.
    func text() -> String {
        let s = statistics
        var lines = ["file:         \(file)", "format:       \(format)", "frames:       \(s.frames)"]
        if s.frames > 0 {
            lines.append(String(format: "duration:     %.3f s (first %.6f, last %.6f)", s.duration,
                                s.firstTimestamp ?? 0, s.lastTimestamp ?? 0))
            lines.append(String(format: "rate:         %.2f frames/s (median interval %.6f s)", s.meanRate,
                                s.medianInterval ?? 0))
            lines.append("antennas:     \(counts(s.layouts)) (nrx x ntx)")
            lines.append("bandwidth:    \(counts(s.bandwidths, unit: " MHz"))")
            lines.append("subcarriers:  \(counts(s.subcarrierCounts))")
            lines.append("sources:      \(counts(s.sources))")
            lines.append(String(format: "gaps:         %d intervals > 5x median (largest %.3f s), %d missing sequence numbers, %d backward steps",
                                s.gapCount(), s.largestInterval, s.missingSequenceNumbers, s.backwardSteps))
        }
        lines.append("errors:       \(issueCounts.isEmpty ? "none" : describeIssueCounts(issueCounts))")
        if let skippedBytes, skippedBytes > 0 { lines.append("skipped:      \(skippedBytes) bytes while resynchronising") }
        if let segments { lines.append("segments:     \(counts(segments))") }
        for issue in firstIssues { lines.append("  \(issue)") }
        return lines.joined(separator: "\n")
    }

    /// One JSON object (sorted keys).
    func jsonText() -> String {
        let s = statistics
        var object: [String: Any] = [
            "file": file, "format": format, "frames": s.frames, "duration": s.duration, "rate": s.meanRate,
            "median_interval": s.medianInterval ?? NSNull(), "largest_interval": s.largestInterval,
            "gaps": s.gapCount(), "missing_sequence_numbers": s.missingSequenceNumbers,
            "backward_steps": s.backwardSteps,
            "first_timestamp": s.firstTimestamp ?? NSNull(), "last_timestamp": s.lastTimestamp ?? NSNull(),
            "antennas": s.layouts, "bandwidth": Dictionary(uniqueKeysWithValues: s.bandwidths.map { ("\($0.key)", $0.value) }),
            "subcarriers": Dictionary(uniqueKeysWithValues: s.subcarrierCounts.map { ("\($0.key)", $0.value) }),
            "sources": s.sources, "devices": s.devices, "errors": issueCounts,
            "first_errors": firstIssues.map { ["offset": $0.offset, "kind": $0.kind, "reason": $0.reason] as [String: Any] },
        ]
        if let skippedBytes { object["skipped_bytes"] = skippedBytes }
        if let segments { object["segments"] = segments }
        guard let data = try? JSONLine.data(object) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
