import Foundation

/// Accumulates window probabilities of labelled recordings and turns them into the `csihar evaluate` figures:
/// per-recording accuracy (window probabilities averaged over the recording), window accuracy, confusion matrix
/// (per recording; rows true, columns predicted), per-class recall and balanced accuracy.
struct EvaluationReport {
    /// One evaluated recording (a WiAR file, or one labelled activity of a capture).
    struct Recording {
        /// Capture path (plus `#start-end` for a sidecar activity).
        var name: String
        /// True class index.
        var label: Int
        /// Windows seen.
        var windows = 0
        /// Windows whose argmax equals `label`.
        var correctWindows = 0
        /// Sum of the windows' probabilities, (classes,).
        var probabilitySum: [Double]

        /// Argmax of the averaged probabilities (nil without windows).
        var predicted: Int? {
            guard windows > 0 else { return nil }
            return probabilitySum.indices.max { probabilitySum[$0] < probabilitySum[$1] }
        }
    }

    /// Class names in model order.
    let labels: [String]
    /// Recordings in the order they were first seen.
    private(set) var recordings: [Recording] = []
    /// Recording name -> index into `recordings`.
    private var index: [String: Int] = [:]
    /// Windows skipped because no label covered them (captures) or their label is not a model class.
    var skippedWindows = 0
    /// Recordings that produced no window or could not be read: (name, reason).
    var failures: [(String, String)] = []

    init(labels: [String]) {
        self.labels = labels
    }

    /// Adds one window's probabilities `(classes,)` for recording `name` with true class `label`.
    mutating func add(recording name: String, label: Int, probabilities: UnsafeBufferPointer<Float>) {
        let slot: Int
        if let existing = index[name] {
            slot = existing
        } else {
            slot = recordings.count
            index[name] = slot
            recordings.append(Recording(name: name, label: label,
                                        probabilitySum: [Double](repeating: 0, count: labels.count)))
        }
        var best = 0
        for c in 0..<labels.count {
            recordings[slot].probabilitySum[c] += Double(probabilities[c])
            if probabilities[c] > probabilities[best] { best = c }
        }
        recordings[slot].windows += 1
        if best == label { recordings[slot].correctWindows += 1 }
    }

    /// Per-recording confusion matrix, (classes, classes), rows true.
    var confusion: [[Int]] {
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for recording in recordings {
            if let predicted = recording.predicted { matrix[recording.label][predicted] += 1 }
        }
        return matrix
    }

    /// Fraction of recordings whose averaged probabilities pick the true class.
    var accuracy: Double {
        let scored = recordings.filter { $0.windows > 0 }
        guard !scored.isEmpty else { return .nan }
        return Double(scored.filter { $0.predicted == $0.label }.count) / Double(scored.count)
    }

    /// Fraction of windows whose argmax is the true class.
    var windowAccuracy: Double {
        let windows = recordings.reduce(0) { $0 + $1.windows }
        guard windows > 0 else { return .nan }
        return Double(recordings.reduce(0) { $0 + $1.correctWindows }) / Double(windows)
    }

    /// Recall per class (nil for a class without recordings).
    var perClassRecall: [Double?] {
        confusion.enumerated().map { c, row in
            let support = row.reduce(0, +)
            return support > 0 ? Double(row[c]) / Double(support) : nil
        }
    }

    /// Mean recall over the classes that have recordings.
    var balancedAccuracy: Double {
        let recalls = perClassRecall.compactMap { $0 }
        return recalls.isEmpty ? .nan : recalls.reduce(0, +) / Double(recalls.count)
    }

    /// The JSON object printed by `csihar evaluate --json`.
    func jsonObject(model: String) -> [String: Any] {
        func number(_ value: Double) -> Any { value.isFinite ? value : NSNull() }
        var recall: [String: Any] = [:]
        for (c, value) in perClassRecall.enumerated() { recall[labels[c]] = value.map(number) ?? NSNull() }
        return [
            "model": model,
            "labels": labels,
            "accuracy": number(accuracy),
            "balanced_accuracy": number(balancedAccuracy),
            "window_accuracy": number(windowAccuracy),
            "recordings": recordings.filter { $0.windows > 0 }.count,
            "windows": recordings.reduce(0) { $0 + $1.windows },
            "skipped_windows": skippedWindows,
            "confusion": confusion,
            "per_class_recall": recall,
            "failures": failures.map { ["recording": $0.0, "reason": $0.1] },
            "per_recording": recordings.map { recording -> [String: Any] in
                [
                    "recording": recording.name, "label": labels[recording.label],
                    "predicted": recording.predicted.map { labels[$0] } ?? NSNull(),
                    "windows": recording.windows,
                    "window_accuracy": recording.windows > 0
                        ? Double(recording.correctWindows) / Double(recording.windows) : NSNull(),
                ]
            },
        ]
    }

    /// `value` with 4 decimals, `n/a` when nothing was measured (never `nan`).
    static func figure(_ value: Double) -> String { value.isFinite ? String(format: "%.4f", value) : "n/a" }

    /// Human-readable summary.
    func text(model: String) -> String {
        var lines = [
            "model \(model): \(recordings.count) recordings, \(recordings.reduce(0) { $0 + $1.windows }) windows",
            "accuracy per recording \(Self.figure(accuracy)) (balanced \(Self.figure(balancedAccuracy))), "
                + "window accuracy \(Self.figure(windowAccuracy))",
        ]
        for (c, value) in perClassRecall.enumerated() {
            lines.append("  \(labels[c]): recall " + (value.map { String(format: "%.3f", $0) } ?? "n/a"))
        }
        for failure in failures { lines.append("  failed: \(failure.0): \(failure.1)") }
        return lines.joined(separator: "\n")
    }
}
