import CSICapture
import CSIDaemon
import CSIFeatures
import CSITestSupport
import Foundation
import Testing

@testable import csihar

/// A classifier that always answers `answer` and records the windows it was given, after normalising them in
/// place as a model classifier does.
final class RecordingClassifier: WindowClassifier {
    let labels: [String]
    let steps = 90
    let features = 90
    let sampleRateHz = 30.0
    let name = "recording"
    let normalizer: Normalizer
    let answer: Int
    /// Every window seen, normalised, (windows, steps, features).
    var seen: [Float] = []
    var calls = 0

    init(labels: [String], answer: Int, normalization: Normalization = .minmax(min: -10, max: 40)) throws {
        self.labels = labels
        self.answer = answer
        normalizer = try Normalizer(normalization, features: 90)
    }

    func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                  into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        calls += 1
        let values = UnsafeMutableBufferPointer(rebasing: windows[0..<(batch * steps * features)])
        normalizer.apply(windows: values, steps: steps)
        seen += values
        for w in 0..<batch {
            for c in 0..<labels.count { probabilities[w * labels.count + c] = c == answer ? 0.9 : 0.1 / Float(labels.count - 1) }
        }
    }
}

@Suite struct EvaluationReportTests {
    @Test func handComputedFigures() {
        var report = EvaluationReport(labels: ["x", "y"])
        // r0 (x): windows favour x, x, y -> mean favours x; r1 (y): x, x -> wrong; r2 (y): y.
        let windows: [(String, Int, [Float])] = [
            ("r0", 0, [0.9, 0.1]), ("r0", 0, [0.8, 0.2]), ("r0", 0, [0.4, 0.6]),
            ("r1", 1, [0.7, 0.3]), ("r1", 1, [0.6, 0.4]), ("r2", 1, [0.2, 0.8]),
        ]
        for (name, label, p) in windows { p.withUnsafeBufferPointer { report.add(recording: name, label: label, probabilities: $0) } }
        #expect(report.recordings.count == 3)
        #expect(abs(report.windowAccuracy - 0.5) < 1e-12)
        #expect(abs(report.accuracy - 2.0 / 3.0) < 1e-12)
        #expect(report.confusion == [[1, 0], [1, 1]])
        #expect(abs(report.balancedAccuracy - 0.75) < 1e-12)
        let json = report.jsonObject(model: "m")
        #expect(json["recordings"] as? Int == 3)
        #expect(json["labels"] as? [String] == ["x", "y"])
    }
}

@Suite struct EvaluationRunnerTests {
    /// Two WiAR files (activities 1 and 12) linked into a scratch folder.
    func wiarFolder() throws -> String? {
        guard let a = SharedData.file("wiar/height/60_rawdata/csi_a1_1.dat"),
              let b = SharedData.file("wiar/height/60_rawdata/csi_a12_2.dat") else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-eval-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/csi_a1_1.dat", withDestinationPath: a.path)
        try FileManager.default.createSymbolicLink(atPath: dir + "/csi_a12_2.dat", withDestinationPath: b.path)
        return dir
    }

    /// A `--wiar` folder that is missing, a file, or holds no WiAR recording is a one-line error naming it, not an
    /// empty evaluation.
    @Test func wiarFolderThatHoldsNothingNamesThePath() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-eval-empty-\(getpid())").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let file = empty + "/notes.txt"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for (path, reason) in [(empty + "/missing", "no such directory"), (file, "not a directory"),
                               (empty, "no WiAR recordings")] {
            do {
                _ = try EvaluationInput.wiar(directory: path)
                Issue.record("\(path) gave no error")
            } catch {
                print("--wiar \(path): \(error)")
                #expect("\(error)".hasPrefix(path + ": " + reason))
            }
        }
    }

    @Test func wiarFolderThroughTheDaemonsWindowsAndNormalisation() throws {
        guard let dir = try wiarFolder() else { return }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inputs = try EvaluationInput.wiar(directory: dir)
        #expect(Set(inputs.compactMap(\.label)) == ["horizontal arm wave", "walk"])

        let classifier = try RecordingClassifier(labels: DatasetExportCommand.wiarLabels, answer: 11)   // always "walk"
        let runner = try EvaluationRunner(classifier: classifier, hopSeconds: 0.5, batchSize: 7)
        for input in inputs { try runner.evaluate(input) }
        try runner.flush()
        let report = runner.report
        #expect(report.recordings.count == 2)
        #expect(report.accuracy == 0.5)
        #expect(report.confusion[0][11] == 1 && report.confusion[11][11] == 1)

        // The windows the model saw are the daemon pipeline's windows, normalised, in order.
        let config = FeaturePipelineConfig(steps: 90, sampleRateHz: 30, hopSeconds: 0.5)
        var expected: [Float] = []
        for input in inputs {
            let pipeline = FeaturePipeline(config: config)
            let reader = try Intel5300Reader(path: input.path, hostTimePath: "")
            while let frame = try reader.nextFrame() { try pipeline.push(frame) { expected += Array($0.values) } }
            pipeline.finish { expected += Array($0.values) }
        }
        let normalised = expected.map { ($0 - -10) / 50 }
        #expect(classifier.seen.count == normalised.count)
        let windows = normalised.count / (90 * 90)
        #expect(report.recordings.reduce(0) { $0 + $1.windows } == windows)
        #expect(classifier.calls == (windows + 6) / 7)
        var maxdiff: Float = 0
        for i in 0..<min(classifier.seen.count, normalised.count) { maxdiff = max(maxdiff, abs(classifier.seen[i] - normalised[i])) }
        print("evaluate windows vs FeaturePipeline + minmax: \(windows) windows, maxdiff \(maxdiff)")
        #expect(maxdiff < 1e-6)
    }

    @Test func captureWithSidecarCountsEachActivityAsARecording() throws {
        let root = SharedData.repositoryRoot().path
        let capture = root + "/samples/fall-1khz-intel5300.dat"
        guard FileManager.default.fileExists(atPath: capture) else {
            print("SKIP: \(capture) is missing"); return
        }
        let track = try LabelTrack(contentsOf: root + "/samples/fall-1khz-intel5300.labels.csv")
        final class Classifier250: WindowClassifier {
            let labels = ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up", "idle"]
            let steps = 250, features = 90, sampleRateHz = 250.0, name = "walk"
            func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                          into probabilities: UnsafeMutableBufferPointer<Float>) throws {
                for i in 0..<(batch * 8) { probabilities[i] = i % 8 == 2 ? 0.93 : 0.01 }   // "walk"
            }
        }
        let runner = try EvaluationRunner(classifier: Classifier250(), hopSeconds: 0.2)
        try runner.evaluate(EvaluationInput(path: capture, track: track))
        try runner.flush()
        let names = Set(runner.report.recordings.map(\.name))
        // idle 0-3.5, walk 3.5-6.5, fall 6.5-8, idle 8-11: 1 s windows every 0.2 s; each activity long enough for a
        // window with >60% coverage is one recording, the two idle spans apart.
        #expect(names.contains(capture + "#3.500-6.500"))
        #expect(names.contains(capture + "#0.000-3.500") && names.contains(capture + "#8.000-11.000"))
        let walk = runner.report.recordings.first { $0.name.hasSuffix("#3.500-6.500") }
        #expect(walk?.predicted == 2)
        #expect(runner.report.skippedWindows > 0)                  // windows straddling two activities
        print("capture: \(runner.report.recordings.count) recordings, skipped \(runner.report.skippedWindows) windows")
    }
}
