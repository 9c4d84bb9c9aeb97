import CSICapture
import Foundation

/// The labelled intervals of one recording, from a `start,end,activity` sidecar CSV (seconds from the capture's
/// first frame; a header line is optional; `#` lines are comments).
public struct LabelTrack: Sendable, Hashable {
    /// One labelled interval.
    public struct Interval: Sendable, Hashable {
        /// Start (s, from the first frame).
        public var start: Double
        /// End (s).
        public var end: Double
        /// Activity label.
        public var label: String
    }

    /// The intervals in file order.
    public var intervals: [Interval]

    /// Creates a track from intervals.
    public init(intervals: [Interval]) { self.intervals = intervals }

    /// Parses sidecar text; errors name the line.
    public init(csv text: String, path: String = "labels") throws {
        var intervals: [Interval] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
            if number == 0 && fields.first == "start" { continue }
            guard fields.count == 3, let start = Double(fields[0]), let end = Double(fields[1]),
                  start.isFinite, end.isFinite, end > start, !fields[2].isEmpty else {
                throw NumpyFile.FormatError(path: path, reason: "line \(number + 1): expected `start,end,activity` "
                                            + "with start < end, got \"\(line)\"")
            }
            intervals.append(Interval(start: start, end: end, label: fields[2]))
        }
        self.intervals = intervals
    }

    /// Reads a sidecar file.
    public init(contentsOf path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw NumpyFile.FormatError(path: path, reason: "cannot read label sidecar (\(FileErrorReason.describe(error)))")
        }
        try self.init(csv: text, path: path)
    }

    /// The label covering more than `minimumCoverage` of `[start, end)` (seconds from the first frame), or nil.
    /// With a `background` label (e.g. `idle`, "nobody doing anything"), any other label covering more than
    /// `minimumCoverage` wins over it even when the background covers more: a 1.3 s fall between idle periods
    /// covers 43% of a 3 s window and idle the rest, and the window shows the fall, not the idle around it. The
    /// background is chosen only when no other label covers enough.
    public func label(start: Double, end: Double, minimumCoverage: Double, background: String? = nil) -> String? {
        let length = end - start
        guard length > 0 else { return nil }
        var cover: [String: Double] = [:]
        for interval in intervals {
            let overlap = min(end, interval.end) - max(start, interval.start)
            if overlap > 0 { cover[interval.label, default: 0] += overlap }
        }
        // Ties go to the label first in file order, so the result does not depend on dictionary order.
        func best(_ candidates: [String: Double]) -> String? {
            var choice: (label: String, cover: Double)?
            for interval in intervals {
                guard let value = candidates[interval.label], value / length > minimumCoverage else { continue }
                if choice == nil || value > choice!.cover { choice = (interval.label, value) }
            }
            return choice?.label
        }
        if let background, let foreground = best(cover.filter { $0.key != background }) { return foreground }
        return best(cover)
    }
}
