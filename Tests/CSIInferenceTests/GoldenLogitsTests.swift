import CSITestSupport
import Foundation
import Testing
@testable import CSIInference

/// Logits of every model family against PyTorch (fixtures written by `training/fixtures/make_engine_fixtures.py`).
struct GoldenLogitsTests {
    static let tolerance: Float = 1e-4

    static var fixtureDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    /// Every `<case>.golden.safetensors` fixture.
    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtureDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".golden.safetensors") }
            .map { String($0.dropLast(".golden.safetensors".count)) }.sorted()
    }

    /// The model of a case: the fixture next to it, or a shipped model for `shipped-<name>`.
    static func modelPath(_ name: String) -> String {
        if name.hasPrefix("shipped-") {
            return SharedData.repositoryRoot().appendingPathComponent("models/\(name.dropFirst(8)).safetensors").path
        }
        return fixtureDirectory.appendingPathComponent("\(name).safetensors").path
    }

    @Test func fixturesCoverEveryFamily() throws {
        var architectures = Set<String>()
        for name in Self.cases {
            architectures.insert(try CSIModel.load(path: Self.modelPath(name)).config.architecture.rawValue)
        }
        print("golden fixtures: \(Self.cases.count) cases, architectures \(architectures.sorted())")
        #expect(architectures == Set(ModelArchitecture.allCases.map(\.rawValue)))
    }

    @Test(arguments: cases) func logitsMatchPyTorch(name: String) throws {
        let model = try CSIModel.load(path: Self.modelPath(name))
        let golden = try SafetensorsFile.read(path: Self.fixtureDirectory.appendingPathComponent("\(name).golden.safetensors").path)
        let input = try #require(golden.tensors["input"])
        let expected = try #require(golden.tensors["logits"])
        let config = model.config
        #expect(input.shape.count == 3 && input.shape[1] == config.steps && input.shape[2] == config.features)
        let batch = input.shape[0]
        #expect(expected.shape == [batch, config.classes])
        // Slices of 2 exercise both a batch > 1 and the slicing of a larger batch.
        let session = InferenceSession(model: model, maxBatch: 2)
        var logits = [Float](repeating: .nan, count: batch * config.classes)
        input.values.withUnsafeBufferPointer { windows in
            logits.withUnsafeMutableBufferPointer { session.logits(windows: windows, batch: batch, into: $0) }
        }
        let maxdiff = zip(logits, expected.values).map { abs($0 - $1) }.max() ?? .infinity
        print("\(name) (\(config.architecture.rawValue), hidden \(config.hiddenSize), layers \(config.numLayers), "
              + "bidirectional \(config.bidirectional), batch \(batch)): maxdiff \(maxdiff)")
        #expect(maxdiff <= Self.tolerance, """
            \(name): logits differ from PyTorch by \(maxdiff). For a shipped model that was retrained, the fixture is \
            stale (its metadata model_sha256 names the file it was made from): rerun \
            training/fixtures/make_engine_fixtures.py
            """)
    }
}
