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
        return chunked(windows, count: count, inputWidth: size, outputWidth: classes) { input, batch, output in
            session.logits(windows: input, batch: batch, into: output)
        }
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
        return chunked(windows, count: count, inputWidth: size, outputWidth: width) { input, batch, output in
            session.embeddings(windows: input, batch: batch, into: output)
        }
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
        return chunked(embeddings, count: count, inputWidth: width, outputWidth: classes) { input, batch, output in
            head.logits(embeddings: input.baseAddress!, rows: batch, into: output.baseAddress!)
        }
    }

    /// Runs `body` on slices of at most `maxBatch` rows: `input` (count, inputWidth) -> result (count, outputWidth).
    private func chunked(_ input: [Float], count: Int, inputWidth: Int, outputWidth: Int,
                         _ body: (UnsafeBufferPointer<Float>, Int, UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        var result = [Float](repeating: 0, count: count * outputWidth)     // (count, outputWidth)
        input.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                var first = 0
                while first < count {
                    let batch = min(maxBatch, count - first)
                    body(UnsafeBufferPointer(rebasing: input[(first * inputWidth)..<((first + batch) * inputWidth)]), batch,
                         UnsafeMutableBufferPointer(rebasing: output[(first * outputWidth)..<((first + batch) * outputWidth)]))
                    first += batch
                }
            }
        }
        return result
    }
}
