import Testing
@testable import CSIInference

/// The streaming path (projections cached per frame, windows of several streams batched) gives the logits of
/// the plain batch path on the same windows, for every family, while the rings wrap around.
struct StreamingSessionTests {
    @Test(arguments: ModelArchitecture.allCases) func streamingEqualsBatch(architecture: ModelArchitecture) throws {
        let steps = 12, features = 50, streams = 3, hop = 5, frames = 41
        let bidirectional = architecture == .bilstm || architecture == .ablstm || architecture == .gru
        let json = TestModels.configJSON(architecture: architecture.rawValue, hidden: 7, layers: 2,
                                         bidirectional: bidirectional,
                                         attention: architecture == .ablstm ? 9 : nil, classes: 4,
                                         steps: steps, features: features)
        let model = try CSIModel(file: TestModels.file(configJSON: json), source: "t")
        let streaming = StreamingSession(model: model, maxStreams: streams)
        let batch = InferenceSession(model: model, maxBatch: streams)
        // Each stream's frames: (frames, features), different per stream.
        let data = (0..<streams).map { TestModels.windows(count: frames * features, seed: UInt64(10 + $0)) }
        let slots = (0..<streams).compactMap { _ in streaming.openStream() }
        #expect(slots.count == streams)
        #expect(streaming.openStream() == nil)
        var maxdiff: Float = 0
        var windows = 0
        var end = 0
        while end + hop <= frames {
            for (stream, slot) in slots.enumerated() {
                data[stream].withUnsafeBufferPointer {
                    streaming.append(frames: $0.baseAddress! + end * features, count: hop, to: slot)
                }
            }
            end += hop
            guard end >= steps else {
                #expect(!streaming.isReady(slots[0]))
                continue
            }
            var streamed = [Float](repeating: .nan, count: streams * 4)
            streamed.withUnsafeMutableBufferPointer { streaming.logits(slots: slots, into: $0) }
            // the same windows, contiguous: (streams, steps, features)
            var contiguous: [Float] = []
            for stream in 0..<streams {
                contiguous += data[stream][((end - steps) * features)..<(end * features)]
            }
            var expected = [Float](repeating: .nan, count: streams * 4)
            contiguous.withUnsafeBufferPointer { input in
                expected.withUnsafeMutableBufferPointer { batch.logits(windows: input, batch: streams, into: $0) }
            }
            maxdiff = max(maxdiff, zip(streamed, expected).map { abs($0 - $1) }.max() ?? .infinity)
            windows += streams
        }
        print("\(architecture.rawValue): \(windows) streamed windows (hop \(hop), steps \(steps)), maxdiff \(maxdiff), "
              + "projections cached: \(streaming.cachesProjections)")
        #expect(windows == 6 * streams)
        #expect(maxdiff <= 1e-5)
    }
}
