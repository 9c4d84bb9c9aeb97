import CSIFeatures
import CSIInference
import CSITestSupport
import Foundation
import Testing

@testable import csihar

/// `csihar evaluate`'s model runner: the Swift engine behind ``WindowClassifier``.
@Suite struct EngineClassifierTests {
    static let root = SharedData.repositoryRoot().path
    static let model = root + "/models/wiar-gru.safetensors"
    static let golden = root + "/Tests/CSIInferenceTests/Fixtures/shipped-wiar-gru.golden.safetensors"

    /// The PyTorch logits of the shipped WiAR GRU (written by training/fixtures/make_engine_fixtures.py), through
    /// the evaluate path, with engine batches smaller than the request so that the chunking is exercised.
    @Test func logitsMatchPyTorchAcrossChunks() throws {
        let golden = try SafetensorsFile.read(path: Self.golden)
        let input = try #require(golden.tensors["input"])        // (batch, steps, features)
        let expected = try #require(golden.tensors["logits"])    // (batch, classes)
        for maxBatch in [1, 2, 64] {
            let classifier = try EngineClassifier(path: Self.model, maxBatch: maxBatch)
            #expect(input.shape == [input.shape[0], classifier.steps, classifier.features])
            let logits = try classifier.logits(input.values, count: input.shape[0])
            #expect(logits.count == expected.values.count)
            let maxdiff = zip(logits, expected.values).map { abs($0 - $1) }.max() ?? .infinity
            print("EngineClassifier wiar-gru, \(input.shape[0]) windows, engine batch \(maxBatch): maxdiff vs PyTorch \(maxdiff)")
            #expect(maxdiff <= 1e-4)
        }
    }

    @Test func inputSpecComesFromTheModelFile() throws {
        let classifier = try EngineClassifier(path: Self.model)
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
        #expect { try EngineClassifier(path: missing) } throws: { "\($0)".contains(missing) }

        let truncated = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-truncated-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: truncated) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.model))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect { try EngineClassifier(path: truncated) } throws: { "\($0)".contains(truncated) }
    }

    @Test func tooFewValuesForTheWindowCountIsAnError() throws {
        let classifier = try EngineClassifier(path: Self.model)
        let oneWindow = [Float](repeating: 0, count: classifier.steps * classifier.features)
        #expect(throws: EvaluationError.self) { try classifier.logits(oneWindow, count: 2) }
    }
}
