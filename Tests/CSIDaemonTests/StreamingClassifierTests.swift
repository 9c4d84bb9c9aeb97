import CSICapture
import CSIDaemon
import CSIEvents
import CSITestSupport
import Foundation
import Testing

/// The daemon's streaming path (steps appended to the engine's per-stream rings as they are made, windows named
/// by end position, no window copies) gives the same probabilities and events as the batch path (windows
/// copied and recomputed whole), on a bundled sample through a shipped model, three streams at once.
struct StreamingClassifierTests {
    /// Hides the streaming interface of a classifier.
    final class BatchOnly: WindowClassifier {
        let inner: any WindowClassifier
        init(_ inner: any WindowClassifier) { self.inner = inner }
        var labels: [String] { inner.labels }
        var steps: Int { inner.steps }
        var features: Int { inner.features }
        var sampleRateHz: Double { inner.sampleRateHz }
        var name: String { inner.name }
        func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                      into probabilities: UnsafeMutableBufferPointer<Float>) throws {
            try inner.classify(windows: windows, batch: batch, into: probabilities)
        }
    }

    /// Runs 6 s of the sample, as three streams with different start offsets, through a pipeline.
    func run(_ classifier: any WindowClassifier, frames: [CSIFrame]) -> [Event] {
        var events: [Event] = []
        var config = PipelineConfig()
        config.maxBatch = 4
        let pipeline = DaemonPipeline(config: config, classifier: classifier, monotonic: { 0 }, wallClock: { 0 },
                                      emit: { events.append($0) })
        for (index, frame) in frames.enumerated() {
            for stream in 0..<3 {
                let shifted = frames[(index + 97 * stream) % frames.count]
                var copy = shifted
                copy.timestamp = frame.timestamp
                copy.source = CSISourceID(transmitter: [2, 0, 0, 0, 0, UInt8(stream)])
                pipeline.ingest(copy, source: "test")
            }
            if index % 7 == 6 { pipeline.flush() }
        }
        pipeline.sourceEnded("test", reason: "end")
        return events
    }

    @Test func streamingPathEqualsBatchPath() throws {
        let root = SharedData.repositoryRoot()
        let model = root.appendingPathComponent("models/ut-har-gru.safetensors").path
        let reader = try CaptureFile.open(path: root.appendingPathComponent("samples/living-room-intel5300.dat").path)
        var frames: [CSIFrame] = []
        while let frame = try reader.nextFrame(), frames.count < 1500 { frames.append(frame) }
        let streaming = try ModelClassifier(path: model, maxBatch: 4, slack: 40)
        let streamed = run(streaming, frames: frames)
        let batched = run(BatchOnly(try ModelClassifier(path: model, maxBatch: 4)), frames: frames)
        func predictions(_ events: [Event]) -> [[Float]] {
            events.compactMap { if case let .prediction(_, probabilities, _) = $0.payload { probabilities } else { nil } }
        }
        let a = predictions(streamed), b = predictions(batched)
        var maxdiff: Float = 0
        for (x, y) in zip(a, b) { maxdiff = max(maxdiff, zip(x, y).map { abs($0 - $1) }.max() ?? 0) }
        print("streaming vs batch path: \(a.count) windows, probability maxdiff \(maxdiff), "
              + "events \(streamed.count) vs \(batched.count)")
        #expect(a.count == b.count && a.count > 50)
        #expect(maxdiff <= 1e-5)
        #expect(streamed.map(\.payload.type) == batched.map(\.payload.type))
        #expect(!streamed.contains { $0.payload.type == .streamError })
    }
}
