import CSIFeatures
import CSIInference

/// What `csihar evaluate` needs from a model: its input spec, its labels, batch embeddings (the input of the final
/// classifier layer) and that layer (``ClassifierHead``), so that a calibrated head can replace it. The Swift engine
/// (`CSIInference`) provides it; tests may use any other implementation (one giving only logits gets the identity
/// head: its embeddings are its logits).
protocol WindowClassifier {
    /// Class names, in output order.
    var labels: [String] { get }
    /// Time steps per window (`input.steps`).
    var steps: Int { get }
    /// Features per step (`input.features`).
    var features: Int { get }
    /// Model steps per second of capture time (`input.sample_rate_hz`).
    var sampleRateHz: Double { get }
    /// Input normalisation frozen at training time (`input.normalization`).
    var normalization: Normalization { get }
    /// What a window step holds (`input.transform`).
    var transform: FeatureTransform { get }
    /// Logits for `count` normalised windows: `windows` is (count, steps, features), the result (count, classes).
    func logits(_ windows: [Float], count: Int) throws -> [Float]
    /// E, the size of one window's embedding.
    var embeddingSize: Int { get }
    /// Embeddings (count, E) of `count` normalised windows (count, steps, features).
    func embeddings(_ windows: [Float], count: Int) throws -> [Float]
    /// The model's own head.
    var head: ClassifierHead { get }
    /// Logits (count, classes) of embeddings (count, E) through `head`, computed as the model's own logits are (so the
    /// model's head gives ``logits(_:count:)`` exactly).
    func logits(embeddings: [Float], count: Int, head: ClassifierHead) throws -> [Float]
}

extension WindowClassifier {
    /// `amplitude-db` unless the classifier says otherwise.
    var transform: FeatureTransform { .amplitudeDB }

    /// Without an engine: the logits are the embeddings.
    var embeddingSize: Int { labels.count }

    /// Without an engine: the logits.
    func embeddings(_ windows: [Float], count: Int) throws -> [Float] { try logits(windows, count: count) }

    /// Without an engine: the identity (W = I, b = 0), which maps embeddings = logits to themselves exactly.
    var head: ClassifierHead {
        let classes = labels.count
        var identity = [Float](repeating: 0, count: classes * classes)
        for c in 0..<classes { identity[c * classes + c] = 1 }
        // Shapes and values are valid by construction.
        return try! ClassifierHead(weight: identity, bias: [Float](repeating: 0, count: classes), classes: classes,
                                   inputs: classes)
    }

    /// One head application over all rows.
    func logits(embeddings: [Float], count: Int, head: ClassifierHead) throws -> [Float] {
        guard embeddings.count >= count * head.inputs else {
            throw EvaluationError("head: \(embeddings.count) values do not hold \(count) embeddings of \(head.inputs)")
        }
        var logits = [Float](repeating: 0, count: count * head.classes)
        guard count > 0 else { return logits }
        embeddings.withUnsafeBufferPointer { e in
            logits.withUnsafeMutableBufferPointer { head.logits(embeddings: e.baseAddress!, rows: count, into: $0.baseAddress!) }
        }
        return logits
    }
}
