import CSIDaemon
import CSIFeatures
import CSIInference
import CSITestSupport
import Foundation
import Testing

@testable import csihar

/// `csihar evaluate`'s model: the daemon's ``ModelClassifier`` (one classifier type for csihar and csihard), fed
/// raw windows that it normalises itself, with its embeddings and head.
@Suite struct EvaluateModelTests {
    static let root = SharedData.repositoryRoot().path
    static let model = root + "/models/wiar-gru.safetensors"
    static let golden = root + "/Tests/CSIInferenceTests/Fixtures/shipped-wiar-gru.golden.safetensors"

    /// The PyTorch logits of the shipped WiAR GRU (written by training/fixtures/make_engine_fixtures.py) from the
    /// golden input (normalised; turned back into raw features with the model's mean and std), through the
    /// embeddings and head that evaluate uses, with engine batches smaller than the request (chunking exercised).
    @Test func logitsMatchPyTorchAcrossChunks() throws {
        let golden = try SafetensorsFile.read(path: Self.golden)
        let input = try #require(golden.tensors["input"])        // (batch, steps, features), normalised
        let expected = try #require(golden.tensors["logits"])    // (batch, classes)
        for maxBatch in [1, 2, 64] {
            let classifier = try ModelClassifier(path: Self.model, maxBatch: maxBatch)
            guard case .standard(let mean, let std) = classifier.normalization else {
                Issue.record("wiar-gru has standard normalisation, got \(classifier.normalization)")
                return
            }
            let count = input.shape[0], features = classifier.features
            #expect(input.shape == [count, classifier.steps, features])
            var raw = input.values.enumerated().map { $0.element * std[$0.offset % features] + mean[$0.offset % features] }
            var embeddings = [Float](repeating: 0, count: count * classifier.embeddingSize)
            try raw.withUnsafeMutableBufferPointer { windows in
                try embeddings.withUnsafeMutableBufferPointer {
                    try classifier.embeddings(windows: windows, batch: count, into: $0)
                }
            }
            var logits = [Float](repeating: 0, count: count * classifier.labels.count)
            classifier.head.logits(embeddings: embeddings, rows: count, into: &logits)
            let maxdiff = zip(logits, expected.values).map { abs($0 - $1) }.max() ?? .infinity
            print("ModelClassifier wiar-gru, \(count) windows, engine batch \(maxBatch): logits maxdiff vs PyTorch \(maxdiff)")
            #expect(maxdiff <= 1e-4)
        }
    }

    @Test func inputSpecComesFromTheModelFile() throws {
        let classifier = try ModelClassifier(path: Self.model)
        #expect(classifier.labels.count == 16)
        #expect(classifier.features == FeatureLayout.features)
        #expect(classifier.sampleRateHz > 0 && classifier.steps > 0)
        guard case .standard(let mean, let std) = classifier.normalization else {
            Issue.record("wiar-gru has standard normalisation, got \(classifier.normalization)")
            return
        }
        #expect(mean.count == FeatureLayout.features && std.count == FeatureLayout.features)
    }

    @Test func aBadModelFileStopsWithItsName() throws {
        let missing = "/nonexistent/csihar-model.safetensors"
        #expect { try ModelClassifier(path: missing) } throws: { "\($0)".contains(missing) }

        let truncated = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-truncated-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: truncated) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.model))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect { try ModelClassifier(path: truncated) } throws: { "\($0)".contains(truncated) }
    }

    @Test func tooFewValuesForTheWindowCountIsAnError() throws {
        let classifier = try ModelClassifier(path: Self.model)
        var oneWindow = [Float](repeating: 0, count: classifier.steps * classifier.features)
        var out = [Float](repeating: 0, count: 2 * classifier.embeddingSize)
        #expect(throws: ClassifierError.self) {
            try oneWindow.withUnsafeMutableBufferPointer { windows in
                try out.withUnsafeMutableBufferPointer { try classifier.embeddings(windows: windows, batch: 2, into: $0) }
            }
        }
    }
}
