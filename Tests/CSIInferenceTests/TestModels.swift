import CSITestSupport
import Foundation
@testable import CSIInference

/// Builds model files in memory for tests: a config and random tensors of the shapes the engine expects.
enum TestModels {
    /// A config JSON text.
    static func configJSON(architecture: String, hidden: Int = 8, layers: Int = 1, bidirectional: Bool = false,
                           attention: Int? = nil, classes: Int = 3, steps: Int = 12, features: Int = 6,
                           nonlinearity: String = "tanh") -> String {
        var object: [String: Any] = [
            "format_version": 1, "name": "test-\(architecture)", "architecture": architecture, "hidden_size": hidden,
            "num_layers": layers, "bidirectional": bidirectional, "nonlinearity": nonlinearity, "classes": classes,
            "labels": (0..<classes).map { "class \($0)" },
            "input": ["steps": steps, "features": features, "sample_rate_hz": 100,
                      "normalization": ["kind": "minmax", "min": -10, "max": 30]] as [String: Any],
        ]
        if let attention { object["attention_size"] = attention }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// A model file (bytes) with deterministic pseudo-random weights in [-0.5, 0.5).
    static func file(configJSON: String, seed: UInt64 = 1) throws -> SafetensorsFile {
        let config = try ModelConfig(json: configJSON, source: "test")
        var generator = SplitMix(seed: seed)
        var tensors: [String: SafetensorsFile.Tensor] = [:]
        for (name, shape) in CSIModel.expectedShapes(config).sorted(by: { $0.key < $1.key }) {
            let count = shape.reduce(1, *)
            tensors[name] = .init(shape: shape, values: (0..<count).map { _ in generator.nextFloat() - 0.5 })
        }
        return SafetensorsFile(tensors: tensors, metadata: ["format": "pt", "csihar": configJSON])
    }

    /// Random windows in [0, 1).
    static func windows(count: Int, seed: UInt64 = 7) -> [Float] {
        var generator = SplitMix(seed: seed)
        return (0..<count).map { _ in generator.nextFloat() }
    }

    /// Logits of `batch` windows of `model` (classes per window, in order), computed by a session of `maxBatch`:
    /// `maxBatch` 1 runs them one at a time, `batch` all at once.
    static func logits(_ model: CSIModel, windows: [Float], batch: Int, maxBatch: Int) -> [Float] {
        var logits = [Float](repeating: .nan, count: batch * model.config.labels.count)
        let session = InferenceSession(model: model, maxBatch: maxBatch)
        windows.withUnsafeBufferPointer { input in
            logits.withUnsafeMutableBufferPointer { session.logits(windows: input, batch: batch, into: $0) }
        }
        return logits
    }
}
