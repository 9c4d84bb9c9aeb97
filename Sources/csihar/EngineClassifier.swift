import CSIDaemon
import CSIFeatures
import CSIInference

/// A model file run by the Swift engine (CSIInference), as a ``WindowClassifier``: the model's frozen
/// normalisation is applied by the caller (``EvaluationRunner``), this type only runs the network.
final class EngineClassifier: WindowClassifier {
    let labels: [String]
    let steps: Int
    let features: Int
    let sampleRateHz: Double
    let normalization: Normalization
    let transform: FeatureTransform

    private let model: CSIModel
    private let maxBatch: Int
    private let session: InferenceSession

    /// Loads `path`; a bad file, or an input spec the feature code cannot feed, stops with a message naming the
    /// file and field. `maxBatch` windows are run per engine call (larger requests are split).
    init(path: String, maxBatch: Int = 64) throws {
        do {
            model = try CSIModel.load(path: path)
            normalization = try ModelClassifier.normalization(of: model.config, path: path)
            transform = try ModelClassifier.transform(of: model.config, path: path)
        } catch {
            throw EvaluationError("\(error)")
        }
        labels = model.config.labels
        steps = model.config.steps
        features = model.config.features
        sampleRateHz = model.config.sampleRateHz
        self.maxBatch = max(1, maxBatch)
        session = InferenceSession(model: model, maxBatch: self.maxBatch)
    }

    /// Logits (count, classes) of `count` normalised windows (count, steps, features), in chunks of `maxBatch`.
    func logits(_ windows: [Float], count: Int) throws -> [Float] {
        let size = steps * features
        let classes = labels.count
        guard count >= 0, windows.count >= count * size else {
            throw EvaluationError("logits: \(windows.count) values do not hold \(count) windows of \(steps) x \(features)")
        }
        var logits = [Float](repeating: 0, count: count * classes)       // (count, classes)
        windows.withUnsafeBufferPointer { input in
            logits.withUnsafeMutableBufferPointer { output in
                var first = 0
                while first < count {
                    let batch = min(maxBatch, count - first)
                    session.logits(windows: UnsafeBufferPointer(rebasing: input[(first * size)..<((first + batch) * size)]),
                                   batch: batch,
                                   into: UnsafeMutableBufferPointer(rebasing: output[(first * classes)..<((first + batch) * classes)]))
                    first += batch
                }
            }
        }
        return logits
    }
}
