import CSICapture
@testable import CSIDaemon
import CSIEvents
import CSIInference
import CSISimulator
import Foundation

/// Collects reply lines of calibration requests (the pipeline answers on the calling thread in these tests).
final class ReplyBox: @unchecked Sendable {
    var lines: [String] = []
    var reply: @Sendable (String) -> Void { { [self] line in lines.append(line) } }
    var last: [String: Any] { lines.last.map(object) ?? [:] }
}

/// A pipeline over the default model with a calibration store, recording its events.
final class CalibrationHarness {
    static let modelPath = repositoryRoot + "/" + DaemonSettings.defaultModelPath
    let classifier: ModelClassifier
    let pipeline: DaemonPipeline
    init(stateDirectory: String?, modelPath: String = CalibrationHarness.modelPath,
         config base: PipelineConfig = PipelineConfig()) throws {
        classifier = try ModelClassifier(path: modelPath, maxBatch: 64)
        var config = base
        config.maxBatch = 64
        let sink = EventSink()
        self.sink = sink
        pipeline = DaemonPipeline(config: config, classifier: classifier, monotonic: { sink.clock },
                                  wallClock: { 1_800_000_000 }, emit: { sink.events.append($0) })
        pipeline.calibrationStore = stateDirectory.map { CalibrationStore(stateDirectory: $0) }
    }

    private let sink: EventSink
    final class EventSink {
        var events: [Event] = []
        var clock = 0.0
    }

    /// Every event so far.
    var allEvents: [Event] { sink.events }

    /// Feeds `frames` (as transmitter `mac`), flushing every 40 frames like the runner's bursts.
    func feed(_ frames: ArraySlice<CSIFrame>, macs: [UInt8]) {
        for (index, frame) in frames.enumerated() {
            sink.clock = frame.timestamp
            for mac in macs {
                var copy = frame
                copy.source = CSISourceID(transmitter: [2, 0, 0, 0, 0, mac])
                pipeline.ingest(copy, source: "sim", arrival: frame.timestamp)
            }
            if index % 40 == 39 { pipeline.flush() }
        }
        pipeline.flush()
    }

    /// The stream key of transmitter `mac`.
    static func key(_ mac: UInt8) -> String { "sim|" + CSISourceID(transmitter: [2, 0, 0, 0, 0, mac]).description }

    /// Prediction rows of `stream` with their capture times.
    func predictions(_ stream: String) -> [(time: Double, probabilities: [Float])] {
        sink.events.compactMap { event in
            guard event.stream == stream, case .prediction(_, let probabilities, _) = event.payload else { return nil }
            return (event.time, probabilities)
        }
    }

    /// `stream.error` events of kind `calibration`.
    var calibrationErrors: [(stream: String?, message: String)] {
        sink.events.compactMap { event in
            guard case .streamError(let kind, let message) = event.payload, kind == "calibration" else { return nil }
            return (event.stream, message)
        }
    }

    /// Frames of a simulated room (Intel 5300, 500 Hz).
    static func frames(_ script: String, seed: UInt64 = 7) throws -> [CSIFrame] {
        Simulator(config: SimulationConfig(device: .intel5300, seed: seed, rateHz: 500),
                  script: try ActivityScript(parsing: script)).frames()
    }

    /// Largest absolute difference of the predictions of two runs at the same times (after `from`), and how many
    /// rows were compared.
    static func maxDifference(_ a: [(time: Double, probabilities: [Float])], _ b: [(time: Double, probabilities: [Float])],
                              from: Double = -.infinity) -> (Float, Int) {
        var byTime: [Double: [Float]] = [:]
        for row in b { byTime[row.time] = row.probabilities }
        var worst: Float = 0, rows = 0
        for row in a where row.time > from {
            guard let other = byTime[row.time] else { continue }
            rows += 1
            for (x, y) in zip(row.probabilities, other) { worst = max(worst, abs(x - y)) }
        }
        return (worst, rows)
    }

    /// A head that is clearly not the model's (weights halved, bias shifted toward the first class).
    func alteredHead() throws -> HeadCalibration {
        let original = classifier.model.head
        var bias = original.bias
        bias[0] += 2
        let head = try ClassifierHead(weight: original.weight.map { $0 * 0.5 }, bias: bias,
                                      classes: original.classes, inputs: original.inputs)
        return HeadCalibration(model: classifier.model.config.name, modelSHA256: classifier.modelSHA256,
                               classes: classifier.labels, head: head, windows: 12, perClassWindows: ["walk": 12])
    }
}

/// A fresh temporary directory.
func temporaryStateDirectory(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("csihard-\(name)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
