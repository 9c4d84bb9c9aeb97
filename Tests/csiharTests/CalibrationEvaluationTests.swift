import CSICapture
import CSIDaemon
import CSIFeatures
import CSIInference
import CSITestSupport
import Foundation
import Testing

@testable import csihar

/// A classifier that gives only probabilities (no embeddings): evaluate keeps its log-probabilities and applies
/// the identity head. Wraps the engine's model classifier.
final class ProbabilitiesOnlyClassifier: WindowClassifier {
    let inner: ModelClassifier
    init(_ inner: ModelClassifier) { self.inner = inner }
    var labels: [String] { inner.labels }
    var steps: Int { inner.steps }
    var features: Int { inner.features }
    var sampleRateHz: Double { inner.sampleRateHz }
    var name: String { inner.name }
    var transform: FeatureTransform { inner.transform }
    func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                  into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        try inner.classify(windows: windows, batch: batch, into: probabilities)
    }
}

/// `csihar evaluate --calibration-*`: the embeddings + head path, the recording draw, the calibrated figures.
@Suite struct CalibrationEvaluationTests {
    static let root = SharedData.repositoryRoot()
    static let modelPath = root.appendingPathComponent("models/wiar-gru.safetensors").path

    /// A scratch folder of WiAR files linked from height/60_rawdata: `activities` x `trials`.
    static func wiarSubset(_ tag: String, activities: [Int] = [1, 5, 12], trials: [Int] = [1, 2, 3]) throws -> String? {
        guard let source = SharedData.file("wiar/height/60_rawdata") else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-calib-\(getpid())-\(tag)").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for a in activities {
            for t in trials {
                try FileManager.default.createSymbolicLink(atPath: dir + "/csi_a\(a)_\(t).dat",
                                                           withDestinationPath: source.path + "/csi_a\(a)_\(t).dat")
            }
        }
        return dir
    }

    static func run(_ classifier: any WindowClassifier, _ inputs: [EvaluationInput], batchSize: Int = 100) throws -> EvaluationRunner {
        let runner = try EvaluationRunner(classifier: classifier, hopSeconds: 0.5, batchSize: batchSize)
        for input in inputs { try runner.evaluate(input) }
        try runner.flush()
        return runner
    }

    @Test func headOnEmbeddingsGivesTheClassifiersProbabilities() throws {
        let engine = try ModelClassifier(path: Self.modelPath, maxBatch: 64)
        let size = engine.steps * engine.features, classes = engine.labels.count
        for count in [1, 150] {                                            // sgemv; chunks 64 + 64 + 22
            var generator = SplitMix(seed: UInt64(count))
            let windows = (0..<(count * size)).map { _ in generator.nextFloat() }
            var a = windows, b = windows                                    // each normalised in place
            var probabilities = [Float](repeating: 0, count: count * classes)
            var embeddings = [Float](repeating: 0, count: count * engine.embeddingSize)
            try a.withUnsafeMutableBufferPointer { w in
                try probabilities.withUnsafeMutableBufferPointer { try engine.classify(windows: w, batch: count, into: $0) }
            }
            try b.withUnsafeMutableBufferPointer { w in
                try embeddings.withUnsafeMutableBufferPointer { try engine.embeddings(windows: w, batch: count, into: $0) }
            }
            var viaHead = [Float](repeating: 0, count: count * classes)
            engine.head.probabilities(embeddings: embeddings, rows: count, into: &viaHead)
            let maxdiff = zip(probabilities, viaHead).map { abs($0 - $1) }.max() ?? .infinity
            print("wiar-gru \(count) windows: probabilities vs softmax(embeddings·Wᵀ+b) (model head) maxdiff \(maxdiff)")
            #expect(maxdiff <= 1e-6)
        }
        guard let dir = try Self.wiarSubset("identical") else { return }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inputs = try EvaluationInput.wiar(directory: dir)
        let new = try Self.run(engine, inputs).report
        let old = try Self.run(ProbabilitiesOnlyClassifier(try ModelClassifier(path: Self.modelPath, maxBatch: 64)), inputs).report
        #expect(new.recordings.count == old.recordings.count && new.recordings.count == 9)
        var maxdiff = 0.0
        for (x, y) in zip(new.recordings, old.recordings) {
            #expect(x.name == y.name && x.correctWindows == y.correctWindows)
            maxdiff = max(maxdiff, zip(x.probabilitySum, y.probabilitySum).map { abs($0 - $1) }.max() ?? .infinity)
        }
        #expect(maxdiff <= 1e-4)
        #expect(new.confusion == old.confusion && new.skippedWindows == old.skippedWindows)
        print("evaluate via embeddings+head vs probabilities (identity head on log-probabilities): "
              + "\(new.recordings.reduce(0) { $0 + $1.windows }) windows, accuracy \(new.accuracy) vs \(old.accuracy), "
              + "window accuracy \(new.windowAccuracy) vs \(old.windowAccuracy), probability sums maxdiff \(maxdiff)")
    }

    @Test func shotsAreDrawnPerActivityDeterministically() {
        var inputs: [EvaluationInput] = []
        for label in ["walk", "run", "fall"] {
            for t in 1...5 { inputs.append(EvaluationInput(path: "/d/\(label)_\(t).dat", label: label)) }
        }
        inputs.append(EvaluationInput(path: "/d/sit_1.dat", label: "sit"))     // a single recording stays evaluated
        let a = Calibration.pickShots(inputs, shots: 2, seed: 0)
        let b = Calibration.pickShots(inputs.reversed(), shots: 2, seed: 0)
        let chosen = { (x: [EvaluationInput]) in Set(x.filter(\.calibration).map(\.path)) }
        #expect(chosen(a) == chosen(b))
        for label in ["walk", "run", "fall"] { #expect(a.filter { $0.calibration && $0.label == label }.count == 2) }
        #expect(!a.contains { $0.label == "sit" && $0.calibration })
        #expect(Calibration.pickShots(inputs, shots: 9, seed: 0).filter { $0.calibration && $0.label == "walk" }.count == 4)
        let seeds = (0..<8).map { chosen(Calibration.pickShots(inputs, shots: 2, seed: UInt64($0))) }
        #expect(Set(seeds).count > 1)
        print("calibration draw, seed 0: \(chosen(a).sorted())")
    }

    /// A sanity property that can fail: a head calibrated on the evaluation windows themselves does not classify
    /// them worse than the model's own head.
    @Test func calibratingOnTheEvaluationDataDoesNotLowerItsAccuracy() throws {
        guard let dir = try Self.wiarSubset("self") else { return }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try ModelClassifier(path: Self.modelPath)
        let runner = try Self.run(engine, try EvaluationInput.wiar(directory: dir))
        let result = try ClassifierHeadAdapter().adapt(embeddings: runner.embeddings, labels: runner.windows.map(\.label),
                                                      original: engine.head)
        let before = runner.report, after = try runner.report(head: result.head)
        print("calibrated on its own \(runner.windows.count) windows: window accuracy \(before.windowAccuracy) -> "
              + "\(after.windowAccuracy), accuracy \(before.accuracy) -> \(after.accuracy); objective "
              + "\(result.initialObjective) -> \(result.objective) (\(result.iterations) iterations)")
        #expect(after.windowAccuracy >= before.windowAccuracy)
        #expect(after.accuracy >= before.accuracy)
        #expect(result.objective < result.initialObjective)
    }
}

/// `csihar evaluate --calibration-shots` as a process (the debug binary next to the tests).
@Suite struct CalibrationProcessTests {
    static let root = SharedData.repositoryRoot()

    func csihar(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String)? {
        try runCsihar(arguments)
    }

    @Test func wiarShotsJSONIsDeterministicAndWritesTheHead() throws {
        guard let dir = try CalibrationEvaluationTests.wiarSubset("process") else { return }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/head.json"
        let arguments = ["evaluate", "--model", "models/wiar-gru.safetensors", "--wiar", dir, "--calibration-shots", "1",
                         "--json"]
        guard let first = try csihar(arguments + ["--calibration-out", out]), let second = try csihar(arguments),
              let plain = try csihar(["evaluate", "--model", "models/wiar-gru.safetensors", "--wiar", dir, "--json"]) else { return }
        #expect(first.status == 0 && second.status == 0 && plain.status == 0, "\(first.stderr) \(second.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let again = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])
        let uncalibrated = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        print("evaluate --calibration-shots 1 (3 activities x 3 recordings): accuracy \(object["accuracy"] ?? "?"), "
              + "uncalibrated \(object["accuracy_uncalibrated"] ?? "?"), window accuracy \(object["window_accuracy"] ?? "?"), "
              + "uncalibrated \(object["window_accuracy_uncalibrated"] ?? "?"), recordings \(object["recordings"] ?? "?")")
        for key in ["accuracy", "accuracy_uncalibrated", "window_accuracy", "window_accuracy_uncalibrated",
                    "calibration_recordings", "calibration_shots", "calibration_windows", "calibration", "confusion",
                    "per_recording", "labels", "model"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["calibration_shots"] as? Int == 1 && object["calibration_recordings"] as? Int == 3)
        #expect(object["recordings"] as? Int == 6)                         // 9 - 3 calibration recordings
        // Same seed, same figures.
        for key in ["accuracy", "accuracy_uncalibrated", "window_accuracy", "window_accuracy_uncalibrated",
                    "calibration_windows", "confusion"] {
            #expect(String(describing: object[key]) == String(describing: again[key]), "\(key) differs between runs")
        }
        // Without calibration options the output has none of the calibration fields.
        #expect(uncalibrated.keys.filter { $0.contains("calibration") || $0.hasSuffix("_uncalibrated") }.isEmpty)
        #expect(uncalibrated["recordings"] as? Int == 9)
        // The head file belongs to the model and loads.
        let model = try CSIModel.load(path: CalibrationEvaluationTests.modelPath)
        let head = try HeadCalibration.load(path: out, for: model, modelPath: CalibrationEvaluationTests.modelPath)
        #expect(head.classes == 16 && head.inputs == model.embeddingSize)
        #expect(try HeadCalibration.load(path: out).windows == object["calibration_windows"] as? Int)
    }

    @Test func calibrationCaptureAndErrors() throws {
        let capture = "samples/living-room-intel5300.dat"
        guard FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(capture).path) else {
            print("SKIP: \(capture) is missing"); return
        }
        guard let result = try csihar(["evaluate", "--model", "models/ut-har-gru.safetensors", "--capture", capture,
                                       "--calibration-capture", capture, "--json"]) else { return }
        if result.status == 0 {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            print("evaluate --calibration-capture \(capture): accuracy \(object["accuracy"] ?? "?") (uncalibrated "
                  + "\(object["accuracy_uncalibrated"] ?? "?")), calibration recordings \(object["calibration_recordings"] ?? "?")")
            #expect(object["calibration_shots"] is NSNull)
            #expect((object["calibration_recordings"] as? Int ?? 0) >= 2)
        } else {
            // Only when the sample's activities are not model classes: the error must say so.
            print("evaluate --calibration-capture: \(result.stderr)")
            #expect(result.stderr.contains("calibration"))
        }
        // A single calibration window class, or options without calibration: clear errors.
        guard let bad = try csihar(["evaluate", "--model", "models/ut-har-gru.safetensors", "--capture", capture,
                                    "--calibration-out", "/tmp/x.json"]) else { return }
        #expect(bad.status != 0 && bad.stderr.contains("--calibration-out needs"))
    }
}
