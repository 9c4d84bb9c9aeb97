import CSIInference
import Foundation

/// `csihar evaluate --calibration-*`: which recordings calibrate the head, the adaptation, and the extra figures.
enum Calibration {
    /// SplitMix64: a fixed, platform-independent sequence for the calibration draw.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Marks `shots` recordings per activity of `inputs` (WiAR files, labelled by file) as calibration recordings:
    /// per label (in order of first appearance after sorting by path), the paths sorted, shuffled by Fisher-Yates with
    /// SplitMix64(`seed`), the first `min(shots, count - 1)` taken, so every activity keeps at least one evaluation
    /// recording. Deterministic: the same files and seed give the same choice.
    static func pickShots(_ inputs: [EvaluationInput], shots: Int, seed: UInt64) -> [EvaluationInput] {
        var result = inputs
        var byLabel: [String: [Int]] = [:]
        var order: [String] = []
        for index in inputs.indices.sorted(by: { inputs[$0].path < inputs[$1].path }) {
            guard let label = inputs[index].label else { continue }
            if byLabel[label] == nil { order.append(label) }
            byLabel[label, default: []].append(index)
        }
        var generator = Generator(state: seed)
        for label in order {
            var indices = byLabel[label] ?? []
            for i in stride(from: indices.count - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                indices.swapAt(i, j)
            }
            for index in indices.prefix(max(0, min(shots, indices.count - 1))) { result[index].calibration = true }
        }
        return result
    }

    /// The outcome of a calibrated evaluation.
    struct Outcome {
        var calibrated: EvaluationReport
        var uncalibrated: EvaluationReport
        var result: ClassifierHeadAdapter.Result
        var recordings: Int
        var windows: Int
        var shots: Int?
        var seed: UInt64
        var lambda: Double

        /// The `--json` object: the calibrated report's fields plus the uncalibrated figures and the calibration's.
        func jsonObject(model: String, labels: [String]) -> [String: Any] {
            func number(_ value: Double) -> Any { value.isFinite ? value : NSNull() }
            var object = calibrated.jsonObject(model: model)
            object["accuracy_uncalibrated"] = number(uncalibrated.accuracy)
            object["window_accuracy_uncalibrated"] = number(uncalibrated.windowAccuracy)
            object["balanced_accuracy_uncalibrated"] = number(uncalibrated.balancedAccuracy)
            object["confusion_uncalibrated"] = uncalibrated.confusion
            object["calibration_recordings"] = recordings
            object["calibration_windows"] = windows
            object["calibration_shots"] = shots.map { $0 as Any } ?? NSNull()
            object["calibration_seed"] = shots == nil ? NSNull() : Int(truncatingIfNeeded: seed) as Any
            var perClass: [String: Int] = [:]
            for (c, count) in result.perClassWindows.enumerated() where count > 0 { perClass[labels[c]] = count }
            object["calibration"] = [
                "lambda": lambda, "iterations": result.iterations, "objective_initial": result.initialObjective,
                "objective": result.objective, "gradient_max": result.gradientNorm, "per_class_windows": perClass,
            ] as [String: Any]
            return object
        }

        func text(model: String) -> String {
            calibrated.text(model: model) + "\n" + String(
                format: "uncalibrated head: accuracy per recording %.4f (balanced %.4f), window accuracy %.4f\n"
                    + "calibration: %d recordings, %d windows%@, lambda %g, objective %.5f -> %.5f in %d iterations",
                uncalibrated.accuracy, uncalibrated.balancedAccuracy, uncalibrated.windowAccuracy, recordings, windows,
                shots.map { ", \($0) shots per activity (seed \(seed))" } ?? "", lambda, result.initialObjective,
                result.objective, result.iterations)
        }
    }

    /// Adapts the runner's classifier head on its calibration windows (`csihar evaluate --calibration-*` and
    /// `csihar calibrate head`).
    static func fitHead(_ runner: EvaluationRunner, lambda: Double) throws -> ClassifierHeadAdapter.Result {
        let set = runner.calibrationSet
        do {
            return try ClassifierHeadAdapter(lambda: lambda).adapt(embeddings: set.embeddings, labels: set.labels,
                                                                   original: runner.head)
        } catch {
            throw CommandFailure("calibration (\(set.recordings) recordings, \(set.labels.count) windows): \(error)")
        }
    }

    /// Adapts the runner's classifier head on its calibration windows and reports both heads on the others.
    static func run(_ runner: EvaluationRunner, lambda: Double, shots: Int?, seed: UInt64) throws -> Outcome {
        let set = runner.calibrationSet
        let original = runner.head
        let result = try fitHead(runner, lambda: lambda)
        return Outcome(calibrated: try runner.report(head: result.head), uncalibrated: try runner.report(head: original),
                       result: result, recordings: set.recordings, windows: set.labels.count, shots: shots, seed: seed,
                       lambda: lambda)
    }
}
