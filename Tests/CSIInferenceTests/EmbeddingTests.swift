import CSITestSupport
import Foundation
import Testing
@testable import CSIInference

/// Embeddings (the input of the final Linear) against PyTorch's, for every fixture model; the head applied to them
/// gives the engine's logits; a replacement head (setHead) is what logits then apply; the streaming path's
/// embeddings give its probabilities.
struct EmbeddingTests {
    static let tolerance: Float = 1e-4

    /// Golden cases whose model file is the one the fixture was made from (shipped models may have been retrained:
    /// their fixture names the model's SHA-256).
    static var cases: [String] {
        GoldenLogitsTests.cases.filter { name in
            guard name.hasPrefix("shipped-") else { return true }
            let golden = GoldenLogitsTests.fixtureDirectory.appendingPathComponent("\(name).golden.safetensors").path
            guard let expected = (try? SafetensorsFile.read(path: golden))?.metadata["model_sha256"],
                  let actual = SHA256Digest.hex(fileAt: GoldenLogitsTests.modelPath(name)), expected == actual else {
                print("SKIP: \(name): the fixture's model_sha256 does not match the model file (retrained?)")
                return false
            }
            return true
        }
    }

    @Test(arguments: cases) func embeddingsMatchPyTorch(name: String) throws {
        let model = try CSIModel.load(path: GoldenLogitsTests.modelPath(name))
        let golden = try SafetensorsFile.read(path: GoldenLogitsTests.fixtureDirectory
            .appendingPathComponent("\(name).golden.safetensors").path)
        let input = try #require(golden.tensors["input"])
        let expected = try #require(golden.tensors["classifier_input"])
        let batch = input.shape[0]
        let size = model.embeddingSize
        #expect(expected.shape == [batch, size])
        let session = InferenceSession(model: model, maxBatch: 2)                 // slices of 2: batch > 1 and slicing
        var embeddings = [Float](repeating: .nan, count: batch * size)           // (batch, E)
        var logits = [Float](repeating: .nan, count: batch * model.config.classes)   // (batch, classes)
        input.values.withUnsafeBufferPointer { windows in
            embeddings.withUnsafeMutableBufferPointer { session.embeddings(windows: windows, batch: batch, into: $0) }
            logits.withUnsafeMutableBufferPointer { session.logits(windows: windows, batch: batch, into: $0) }
        }
        let maxdiff = zip(embeddings, expected.values).map { abs($0 - $1) }.max() ?? .infinity
        // embedding · Wᵀ + b with the model's head, in the engine's slices of 2 -> the logits path.
        let head = session.head
        #expect(head == model.head && head.inputs == size && head.classes == model.config.classes)
        var applied = [Float](repeating: .nan, count: batch * head.classes)
        embeddings.withUnsafeBufferPointer { e in
            applied.withUnsafeMutableBufferPointer { out in
                var start = 0
                while start < batch {
                    let rows = min(2, batch - start)
                    head.logits(embeddings: e.baseAddress! + start * size, rows: rows, into: out.baseAddress! + start * head.classes)
                    start += rows
                }
            }
        }
        let headdiff = zip(applied, logits).map { abs($0 - $1) }.max() ?? .infinity
        print("embeddings \(name) (\(model.config.architecture.rawValue), E \(size), batch \(batch)): maxdiff vs "
              + "PyTorch \(maxdiff) (tolerance \(Self.tolerance)); embedding·Wᵀ+b vs logits maxdiff \(headdiff)")
        #expect(maxdiff <= Self.tolerance)
        // The same products in the same slices, but OpenBLAS may split a product over fewer threads while another
        // test holds its thread pool, and the edge kernels add in another order: equal up to float rounding (seen:
        // 1.1e-6 once under the parallel suite, 0 alone).
        #expect(headdiff <= 1e-5)
    }

    @Test func replacementHeadIsWhatLogitsApply() throws {
        let model = try CSIModel.load(path: GoldenLogitsTests.modelPath("ablstm"))
        let session = InferenceSession(model: model, maxBatch: 3)
        let batch = 5, size = model.embeddingSize, classes = model.config.classes
        let windows = TestModels.windows(count: batch * model.config.steps * model.config.features, seed: 3)
        var embeddings = [Float](repeating: 0, count: batch * size)
        windows.withUnsafeBufferPointer { w in
            embeddings.withUnsafeMutableBufferPointer { session.embeddings(windows: w, batch: batch, into: $0) }
        }
        var generator = SplitMix(seed: 5)
        let replacement = try ClassifierHead(weight: (0..<(classes * size)).map { _ in generator.nextFloat() - 0.5 },
                                             bias: (0..<classes).map { _ in generator.nextFloat() }, classes: classes,
                                             inputs: size)
        try session.setHead(replacement)
        #expect(session.head == replacement)
        var logits = [Float](repeating: 0, count: batch * classes)
        windows.withUnsafeBufferPointer { w in
            logits.withUnsafeMutableBufferPointer { session.logits(windows: w, batch: batch, into: $0) }
        }
        var maxdiff: Float = 0
        for row in 0..<batch {
            for c in 0..<classes {
                var z = replacement.bias[c]
                for e in 0..<size { z += embeddings[row * size + e] * replacement.weight[c * size + e] }
                maxdiff = max(maxdiff, abs(z - logits[row * classes + c]))
            }
        }
        print("setHead: logits vs embedding·W'ᵀ+b' (scalar loop) maxdiff \(maxdiff)")
        #expect(maxdiff < 1e-5)
        try session.setHead(nil)
        #expect(session.head == model.head)
        let wrong = try ClassifierHead(weight: [Float](repeating: 0, count: classes * (size + 1)),
                                       bias: [Float](repeating: 0, count: classes), classes: classes, inputs: size + 1)
        #expect(throws: HeadAdaptationError.self) { try session.setHead(wrong) }
        #expect(session.head == model.head)
        #expect(throws: HeadAdaptationError.self) {
            try ClassifierHead(weight: [.nan, 0], bias: [0, 0], classes: 2, inputs: 1)
        }
        #expect(throws: HeadAdaptationError.self) { try ClassifierHead(weight: [0], bias: [0, 0], classes: 2, inputs: 1) }
    }

    /// StreamingSession.embeddings(slots:ends:into:) with each stream's own head (what the daemon does per stream)
    /// gives probabilities(slots:ends:into:) when that head is the model's.
    @Test(arguments: ModelArchitecture.allCases) func streamingEmbeddingsGiveItsProbabilities(architecture: ModelArchitecture) throws {
        let steps = 12, features = 50, streams = 3, classes = 4
        let json = TestModels.configJSON(architecture: architecture.rawValue, hidden: 7, layers: 2,
                                         bidirectional: architecture == .bilstm || architecture == .ablstm,
                                         attention: architecture == .ablstm ? 9 : nil, classes: classes,
                                         steps: steps, features: features)
        let model = try CSIModel(file: TestModels.file(configJSON: json), source: "t")
        let streaming = StreamingSession(model: model, maxBatch: 2, slack: 4)
        let size = streaming.embeddingSize
        let slots = (0..<streams).map { _ in streaming.openStream() }
        for (stream, slot) in slots.enumerated() {
            let data = TestModels.windows(count: 19 * features, seed: UInt64(40 + stream))       // 19 steps: wraps
            data.withUnsafeBufferPointer { streaming.append(steps: $0.baseAddress!, count: 19, to: slot) }
        }
        let ends = [19, 16, 19]
        var embeddings = [Float](repeating: .nan, count: streams * size)       // (streams, E)
        var probabilities = [Float](repeating: .nan, count: streams * classes) // (streams, classes)
        let (a, b) = slots.withUnsafeBufferPointer { s in
            ends.withUnsafeBufferPointer { e in
                (embeddings.withUnsafeMutableBufferPointer { streaming.embeddings(slots: s, ends: e, into: $0) },
                 probabilities.withUnsafeMutableBufferPointer { streaming.probabilities(slots: s, ends: e, into: $0) })
            }
        }
        #expect(a && b)
        var applied = [Float](repeating: .nan, count: streams * classes)
        let head = streaming.head
        embeddings.withUnsafeBufferPointer { e in
            applied.withUnsafeMutableBufferPointer { out in
                for row in 0..<streams {        // one row at a time: each stream could have its own head
                    head.probabilities(embeddings: e.baseAddress! + row * size, rows: 1, into: out.baseAddress! + row * classes)
                }
            }
        }
        let maxdiff = zip(applied, probabilities).map { abs($0 - $1) }.max() ?? .infinity
        print("streaming \(architecture.rawValue): softmax(embeddings·Wᵀ+b) vs probabilities(slots:ends:) maxdiff \(maxdiff)")
        #expect(maxdiff <= 1e-6)
        // Too small a buffer or a window that cannot be evaluated: false, nothing written.
        var small = [Float](repeating: .nan, count: streams * size - 1)
        let refused = slots.withUnsafeBufferPointer { s in
            ends.withUnsafeBufferPointer { e in small.withUnsafeMutableBufferPointer { streaming.embeddings(slots: s, ends: e, into: $0) } }
        }
        #expect(!refused && small.allSatisfy(\.isNaN))
    }
}
