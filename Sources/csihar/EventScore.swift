import Foundation

/// The figures of an ``EventScorer`` run: per-activity precision, recall and F1, micro-averaged overall figures,
/// fall recall and false falls per hour, median onset delays. A figure with nothing to divide by is `nil`
/// (JSON `null`), never NaN.
struct EventScore: Sendable {
    /// Counts per activity (the fall label scored by `fall.detected`).
    var counts: [String: EventScorer.Counts]
    /// Started event time - segment start (s), per found activity segment.
    var onsetDelays: [Double]
    /// `fall.detected` time - segment start (s), per found fall segment.
    var fallDelays: [Double]
    /// `fall.detected` events that matched no fall segment.
    var falseFalls: Int
    /// Scored capture time (s, summed over streams) and the part of it not labelled as a fall.
    var seconds: Double, nonFallSeconds: Double
    /// Streams scored.
    var streams: Int
    /// The label scored by `fall.detected`.
    var fallLabel: String

    /// `numerator / denominator`, `nil` when the denominator is 0.
    static func ratio(_ numerator: Int, _ denominator: Int) -> Double? {
        denominator > 0 ? Double(numerator) / Double(denominator) : nil
    }

    /// Harmonic mean of precision and recall; 0 when either is 0 (no event reported for labelled segments is an F1
    /// of 0, as 2 TP / (2 TP + FP + FN) gives, not an undefined one), `nil` when neither is 0 and one is undefined.
    static func f1(precision: Double?, recall: Double?) -> Double? {
        if precision == 0 || recall == 0 { return 0 }
        guard let precision, let recall else { return nil }
        return 2 * precision * recall / (precision + recall)
    }

    /// The median, `nil` for no values.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Counts summed over every activity (micro-average).
    var total: EventScorer.Counts {
        counts.values.reduce(into: EventScorer.Counts()) {
            $0.truth += $1.truth; $0.predicted += $1.predicted; $0.matched += $1.matched; $0.found += $1.found
        }
    }

    /// Matched predictions / predictions, over every activity.
    var precision: Double? { Self.ratio(total.matched, total.predicted) }
    /// Found segments / truth segments, over every activity.
    var recall: Double? { Self.ratio(total.found, total.truth) }
    /// F1 of ``precision`` and ``recall``.
    var f1: Double? { Self.f1(precision: precision, recall: recall) }
    /// Found fall segments / fall segments.
    var fallRecall: Double? { counts[fallLabel].flatMap { Self.ratio($0.found, $0.truth) } }
    /// False falls per hour of capture not labelled as a fall.
    var falseFallsPerHour: Double? { nonFallSeconds > 0 ? Double(falseFalls) / (nonFallSeconds / 3600) : nil }
    /// Median onset delay of found activity segments (s).
    var onsetDelayMedian: Double? { Self.median(onsetDelays) }
    /// Median delay of found falls' `fall.detected` (s).
    var fallDelayMedian: Double? { Self.median(fallDelays) }

    /// The `--json` object. `captures`: capture files scored; `model`: the model path; `tolerance`: seconds.
    func jsonObject(model: String, captures: Int, tolerance: Double) -> [String: Any] {
        func value(_ number: Double?) -> Any { number.map { $0 as Any } ?? NSNull() }
        var perActivity: [String: Any] = [:]
        for (activity, count) in counts {
            let precision = Self.ratio(count.matched, count.predicted), recall = Self.ratio(count.found, count.truth)
            perActivity[activity] = [
                "precision": value(precision), "recall": value(recall),
                "f1": value(Self.f1(precision: precision, recall: recall)),
                "truth": count.truth, "predicted": count.predicted, "matched": count.matched, "found": count.found,
            ]
        }
        return [
            "event_precision": value(precision), "event_recall": value(recall), "event_f1": value(f1),
            "fall_recall": value(fallRecall), "false_falls": falseFalls, "false_falls_per_hour": value(falseFallsPerHour),
            "onset_delay_median_s": value(onsetDelayMedian), "fall_delay_median_s": value(fallDelayMedian),
            "per_activity": perActivity, "hours": seconds / 3600, "captures": captures, "streams": streams,
            "model": model, "tolerance_s": tolerance,
            "truth_segments": total.truth, "predicted_events": total.predicted,
        ]
    }

    /// A readable table.
    func text(model: String, captures: Int, tolerance: Double) -> String {
        func show(_ number: Double?, _ format: String = "%.3f") -> String { number.map { String(format: format, $0) } ?? "-" }
        var lines = [
            "model \(model): \(captures) capture(s), \(streams) stream(s), \(String(format: "%.4f", seconds / 3600)) h; "
                + "onset tolerance \(show(tolerance, "%.2f")) s",
            "activity".padding(toLength: 16, withPad: " ", startingAt: 0)
                + " truth  pred  match  precision  recall     f1",
        ]
        for activity in counts.keys.sorted() {
            guard let count = counts[activity] else { continue }
            let precision = Self.ratio(count.matched, count.predicted), recall = Self.ratio(count.found, count.truth)
            let name = activity == fallLabel ? activity + " (*)" : activity
            lines.append(name.padding(toLength: 16, withPad: " ", startingAt: 0)
                         + String(format: " %5d %5d  %5d", count.truth, count.predicted, count.matched)
                         + "  " + show(precision).leftPadded(9) + "  " + show(recall).leftPadded(6)
                         + "  " + show(Self.f1(precision: precision, recall: recall)).leftPadded(5))
        }
        let all = total
        lines.append("all".padding(toLength: 16, withPad: " ", startingAt: 0)
                     + String(format: " %5d %5d  %5d", all.truth, all.predicted, all.matched)
                     + "  " + show(precision).leftPadded(9) + "  " + show(recall).leftPadded(6) + "  " + show(f1).leftPadded(5))
        lines.append("(*) scored by fall.detected events")
        lines.append("fall recall \(show(fallRecall)), false falls \(falseFalls) (\(show(falseFallsPerHour, "%.2f")) per hour), "
                     + "median delay: onset \(show(onsetDelayMedian, "%.2f")) s, fall \(show(fallDelayMedian, "%.2f")) s")
        return lines.joined(separator: "\n")
    }
}

private extension String {
    /// The string right-aligned in `width` characters.
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
