import Testing
@testable import CSIInference

/// The streaming path (projections cached per step, windows of several streams batched) gives the logits of the
/// plain batch path on the same windows, for every family, while the rings wrap around, also when a window is
/// evaluated after further steps have arrived (within the slack).
struct StreamingSessionTests {
    /// A random-weight model of `architecture` (hidden 7; bidirectional where the family allows it).
    static func model(_ architecture: ModelArchitecture, layers: Int, classes: Int, steps: Int,
                      features: Int) throws -> CSIModel {
        let bidirectional = architecture == .bilstm || architecture == .ablstm || architecture == .gru
        let json = TestModels.configJSON(architecture: architecture.rawValue, hidden: 7, layers: layers,
                                         bidirectional: bidirectional,
                                         attention: architecture == .ablstm ? 9 : nil, classes: classes,
                                         steps: steps, features: features)
        return try CSIModel(file: TestModels.file(configJSON: json), source: "t")
    }

    @Test(arguments: ModelArchitecture.allCases) func streamingEqualsBatch(architecture: ModelArchitecture) throws {
        let steps = 12, features = 50, streams = 3, hop = 5, total = 61, slack = 4, classes = 4
        let model = try Self.model(architecture, layers: 2, classes: classes, steps: steps, features: features)
        let streaming = StreamingSession(model: model, maxBatch: 2, slack: slack)
        let batch = InferenceSession(model: model, maxBatch: streams)
        // Each stream's steps: (total, features), different per stream.
        let data = (0..<streams).map { TestModels.windows(count: total * features, seed: UInt64(10 + $0)) }
        let slots = (0..<streams).map { _ in streaming.openStream() }
        #expect(Set(slots).count == streams && streaming.openStreams == streams)
        var maxdiff: Float = 0
        var windows = 0
        var end = 0
        while end + hop <= total {
            for (stream, slot) in slots.enumerated() {
                data[stream].withUnsafeBufferPointer {
                    streaming.append(steps: $0.baseAddress! + end * features, count: hop, to: slot)
                }
            }
            end += hop
            guard end >= steps else {
                #expect(!streaming.canEvaluate(slot: slots[0], end: end))
                continue
            }
            // Stream 1's window ends `slack` steps earlier (it is evaluated late); the others end now.
            let ends = slots.enumerated().map { $0.offset == 1 && end - slack >= steps ? end - slack : end }
            var streamed = [Float](repeating: .nan, count: streams * classes)
            let done = slots.withUnsafeBufferPointer { slotBuffer in
                ends.withUnsafeBufferPointer { endBuffer in
                    streamed.withUnsafeMutableBufferPointer {
                        streaming.logits(slots: slotBuffer, ends: endBuffer, into: $0)
                    }
                }
            }
            #expect(done)
            // the same windows, contiguous: (streams, steps, features)
            var contiguous: [Float] = []
            for stream in 0..<streams {
                contiguous += data[stream][((ends[stream] - steps) * features)..<(ends[stream] * features)]
            }
            var expected = [Float](repeating: .nan, count: streams * classes)
            contiguous.withUnsafeBufferPointer { input in
                expected.withUnsafeMutableBufferPointer { batch.logits(windows: input, batch: streams, into: $0) }
            }
            maxdiff = max(maxdiff, zip(streamed, expected).map { abs($0 - $1) }.max() ?? .infinity)
            windows += streams
        }
        // A window older than the slack has been overwritten: refused, nothing written.
        #expect(!streaming.canEvaluate(slot: slots[0], end: end - slack - 1))
        #expect(streaming.canEvaluate(slot: slots[0], end: end - slack))
        streaming.closeStream(slots[2])
        #expect(streaming.openStreams == streams - 1 && streaming.openStream() == slots[2])
        print("\(architecture.rawValue): \(windows) streamed windows (hop \(hop), steps \(steps), slack \(slack)), "
              + "maxdiff \(maxdiff), projections cached: \(streaming.cachesProjections)")
        #expect(windows == 10 * streams)
        #expect(maxdiff <= 1e-5)
    }

    /// Steps appended one at a time, as the daemon appends them, are staged raw and projected in bulk: when the
    /// stage fills (``StreamingSession/stageRows`` steps, here more than the ring holds) or before a window that
    /// needs them is evaluated. The logits equal the batch path's, whether windows are evaluated every few steps or
    /// after long runs of unevaluated steps.
    @Test(arguments: ModelArchitecture.allCases) func singleStepAppendsEqualBatch(architecture: ModelArchitecture) throws {
        let steps = 12, features = 50, slack = 4, classes = 4, total = 130
        let model = try Self.model(architecture, layers: 1, classes: classes, steps: steps, features: features)
        let streaming = StreamingSession(model: model, maxBatch: 1, slack: slack)
        let batch = InferenceSession(model: model, maxBatch: 1)
        let data = TestModels.windows(count: total * features, seed: 77)
        let slot = streaming.openStream()
        // every 7th step at first (a few staged steps each time), then after 40 and 38 unevaluated steps
        let evaluated: Set<Int> = Set(stride(from: 14, to: 50, by: 7)).union([90, 128])
        var maxdiff: Float = 0
        for end in 1...total {
            data.withUnsafeBufferPointer { streaming.append(steps: $0.baseAddress! + (end - 1) * features, count: 1, to: slot) }
            guard evaluated.contains(end) else { continue }
            var streamed = [Float](repeating: .nan, count: classes)
            let done = [slot].withUnsafeBufferPointer { slots in
                [end].withUnsafeBufferPointer { ends in
                    streamed.withUnsafeMutableBufferPointer { streaming.logits(slots: slots, ends: ends, into: $0) }
                }
            }
            #expect(done)
            var expected = [Float](repeating: .nan, count: classes)
            Array(data[((end - steps) * features)..<(end * features)]).withUnsafeBufferPointer { input in
                expected.withUnsafeMutableBufferPointer { batch.logits(windows: input, batch: 1, into: $0) }
            }
            maxdiff = max(maxdiff, zip(streamed, expected).map { abs($0 - $1) }.max() ?? .infinity)
        }
        print("\(architecture.rawValue): \(evaluated.count) windows from single-step appends (stage of "
              + "\(StreamingSession.stageRows) rows, ring of \(steps + slack)), maxdiff \(maxdiff)")
        #expect(StreamingSession.stageRows > steps + slack)      // the stage overflows the ring: the skip path runs
        #expect(maxdiff <= 1e-5)
    }

    /// Each window's per-feature mean over its steps removed (what a `window-centered` normalisation does first).
    static func centre(_ window: UnsafeMutableBufferPointer<Float>, features: Int) {
        let steps = window.count / features
        for f in 0..<features {
            var sum: Float = 0
            for t in 0..<steps { sum += window[t * features + f] }
            for t in 0..<steps { window[t * features + f] -= sum / Float(steps) }
        }
    }

    /// With a window transform the ring holds raw steps and every gathered window is transformed before it is
    /// evaluated: the logits equal the batch path on the transformed windows (and differ from the untransformed).
    @Test func windowTransformIsAppliedToEveryGatheredWindow() throws {
        let steps = 12, features = 20, hop = 3, total = 40, classes = 3
        let json = TestModels.configJSON(architecture: "gru", hidden: 6, layers: 1, bidirectional: false,
                                         attention: nil, classes: classes, steps: steps, features: features)
        let model = try CSIModel(file: TestModels.file(configJSON: json), source: "t")
        let streaming = StreamingSession(model: model, maxBatch: 2, slack: 2) { Self.centre($0, features: features) }
        #expect(!streaming.cachesProjections)
        let batch = InferenceSession(model: model, maxBatch: 1)
        // a large per-feature offset (a static level) on top of the test data
        let data = TestModels.windows(count: total * features, seed: 77).enumerated().map { $0.element + Float($0.offset % features) }
        let slot = streaming.openStream()
        var maxdiff: Float = 0, untransformedDiff: Float = 0, windows = 0
        var end = 0
        while end + hop <= total {
            data.withUnsafeBufferPointer { streaming.append(steps: $0.baseAddress! + end * features, count: hop, to: slot) }
            end += hop
            guard end >= steps else { continue }
            var streamed = [Float](repeating: .nan, count: classes)
            let done = [slot].withUnsafeBufferPointer { slots in
                [end].withUnsafeBufferPointer { ends in
                    streamed.withUnsafeMutableBufferPointer { streaming.logits(slots: slots, ends: ends, into: $0) }
                }
            }
            #expect(done)
            let raw = Array(data[((end - steps) * features)..<(end * features)])
            var centred = raw
            centred.withUnsafeMutableBufferPointer { Self.centre($0, features: features) }
            var expected = [Float](repeating: .nan, count: classes), plain = expected
            centred.withUnsafeBufferPointer { input in
                expected.withUnsafeMutableBufferPointer { batch.logits(windows: input, batch: 1, into: $0) }
            }
            raw.withUnsafeBufferPointer { input in
                plain.withUnsafeMutableBufferPointer { batch.logits(windows: input, batch: 1, into: $0) }
            }
            maxdiff = max(maxdiff, zip(streamed, expected).map { abs($0 - $1) }.max() ?? .infinity)
            untransformedDiff = max(untransformedDiff, zip(streamed, plain).map { abs($0 - $1) }.max() ?? 0)
            windows += 1
        }
        print("window transform: \(windows) streamed windows, maxdiff \(maxdiff) "
              + "(vs untransformed windows: \(untransformedDiff))")
        #expect(windows == 10)
        #expect(maxdiff <= 1e-5)
        #expect(untransformedDiff > 1e-3)
    }
}
