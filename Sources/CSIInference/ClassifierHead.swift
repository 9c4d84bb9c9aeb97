/// A model's final classification layer, `logits = embedding · Wᵀ + b`: the part that few-shot calibration
/// (``ClassifierHeadAdapter``, ``HeadCalibration``) replaces. Immutable; copies of the weights.
///
/// The "embedding" is what the model's final `Linear` reads (``InferenceSession/embeddings(windows:batch:into:)``):
/// `h_n[-1]` for `rnn`/`gru`/`lstm`/`bilstm`/`cnn-gru`, the attention context for `ablstm`, the concatenation
/// `[cnn_gru h_n[-1], gru h_n[-1]]` for `cnn-gru-parallel`.
public struct ClassifierHead: Sendable, Equatable {
    /// Number of classes (rows of `weight`).
    public let classes: Int
    /// Embedding size E (columns of `weight`).
    public let inputs: Int
    /// The layer: weight (classes, inputs) row-major, bias (classes).
    let layer: LinearLayer

    /// `W`, (classes, inputs) row-major (a copy).
    public var weight: [Float] { layer.weight }
    /// `b`, (classes).
    public var bias: [Float] { layer.bias.isEmpty ? [Float](repeating: 0, count: classes) : layer.bias }

    /// A head from its weight (classes, inputs) and bias (classes); shapes and finiteness are checked.
    public init(weight: [Float], bias: [Float], classes: Int, inputs: Int) throws(HeadAdaptationError) {
        guard classes > 0, inputs > 0 else {
            throw .shape("head of \(classes) classes x \(inputs) inputs: both must be positive")
        }
        guard weight.count == classes * inputs else {
            throw .shape("head weight has \(weight.count) values, expected \(classes) x \(inputs) = \(classes * inputs)")
        }
        guard bias.count == classes else {
            throw .shape("head bias has \(bias.count) values, expected \(classes)")
        }
        if let bad = weight.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite("head weight[\(bad)] is \(weight[bad])")
        }
        if let bad = bias.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite("head bias[\(bad)] is \(bias[bad])")
        }
        self.init(layer: LinearLayer(inputs: inputs, outputs: classes, weight: weight, bias: bias))
    }

    /// Wraps a model's layer (already validated at load).
    init(layer: LinearLayer) {
        self.layer = layer
        classes = layer.outputs
        inputs = layer.inputs
    }

    /// `logits (rows, classes) = embeddings (rows, inputs) · Wᵀ + b`; the model's own head computation
    /// (one `sgemm`, one `sgemv` for a single row), so with the original head it equals the engine's logits bit for bit
    /// when called with the same rows as the engine's slice. Allocates nothing.
    public func logits(embeddings: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>) {
        layer.forward(embeddings, rows: rows, inputStride: inputs, into: logits)
    }

    /// ``logits(embeddings:rows:into:)`` followed by a softmax per row: class probabilities (rows, classes).
    public func probabilities(embeddings: UnsafePointer<Float>, rows: Int,
                              into probabilities: UnsafeMutablePointer<Float>) {
        layer.forward(embeddings, rows: rows, inputStride: inputs, into: probabilities)
        for row in 0..<rows { VectorMath.softmaxInPlace(probabilities + row * classes, count: classes) }
    }
}

extension LinearLayer: Equatable {
    static func == (a: LinearLayer, b: LinearLayer) -> Bool {
        a.inputs == b.inputs && a.outputs == b.outputs && a.weight == b.weight && a.bias == b.bias
    }
}

extension CSIModel {
    /// The model's own final classifier layer (`fc` or `classifier.1`), a read-only copy.
    public var head: ClassifierHead { ClassifierHead(layer: classifier) }

    /// E: the size of the vector the final classifier reads (hidden, or 2 x hidden for `ablstm` and
    /// `cnn-gru-parallel`).
    public var embeddingSize: Int { classifier.inputs }
}
