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

    /// The loaded model.
    let model: CSIModel
    /// The model file.
    let path: String
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
        self.path = path
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

    var embeddingSize: Int { model.embeddingSize }

    var head: ClassifierHead { model.head }

    /// Embeddings (count, E) of `count` normalised windows (count, steps, features), in chunks of `maxBatch`.
    func embeddings(_ windows: [Float], count: Int) throws -> [Float] {
        let size = steps * features
        let width = model.embeddingSize
        guard count >= 0, windows.count >= count * size else {
            throw EvaluationError("embeddings: \(windows.count) values do not hold \(count) windows of \(steps) x \(features)")
        }
        var embeddings = [Float](repeating: 0, count: count * width)      // (count, E)
        windows.withUnsafeBufferPointer { input in
            embeddings.withUnsafeMutableBufferPointer { output in
                var first = 0
                while first < count {
                    let batch = min(maxBatch, count - first)
                    session.embeddings(windows: UnsafeBufferPointer(rebasing: input[(first * size)..<((first + batch) * size)]),
                                       batch: batch,
                                       into: UnsafeMutableBufferPointer(rebasing: output[(first * width)..<((first + batch) * width)]))
                    first += batch
                }
            }
        }
        return embeddings
    }

    /// Logits (count, classes) of embeddings (count, E) through `head`, in the chunks of `maxBatch` rows that
    /// ``logits(_:count:)`` uses: with the model's head the result equals it bit for bit.
    func logits(embeddings: [Float], count: Int, head: ClassifierHead) throws -> [Float] {
        let width = head.inputs, classes = head.classes
        guard width == model.embeddingSize, classes == labels.count else {
            throw EvaluationError("head is \(classes) classes x \(width) inputs; the model has \(labels.count) x \(model.embeddingSize)")
        }
        guard count >= 0, embeddings.count >= count * width else {
            throw EvaluationError("head: \(embeddings.count) values do not hold \(count) embeddings of \(width)")
        }
        var logits = [Float](repeating: 0, count: count * classes)       // (count, classes)
        embeddings.withUnsafeBufferPointer { input in
            logits.withUnsafeMutableBufferPointer { output in
                var first = 0
                while first < count {
                    let batch = min(maxBatch, count - first)
                    head.logits(embeddings: input.baseAddress! + first * width, rows: batch,
                                into: output.baseAddress! + first * classes)
                    first += batch
                }
            }
        }
        return logits
    }
}
