/// Attention pooling over time (ABLSTM): `score_t = v · tanh(W h_t + b)`, `α = softmax_t(score)`,
/// `context = Σ_t α_t h_t`. Tensors `attention.W.weight` (A, D), `attention.W.bias` (A), `attention.v.weight` (1, A).
struct AttentionPooling: Sendable {
    let projection: LinearLayer   // W: D -> A
    let vector: [Float]           // (A)  v

    /// Expected tensors for inputs of width `size` and attention size `attention`.
    static func expectedShapes(prefix: String, size: Int, attention: Int) -> [String: [Int]] {
        ["\(prefix).W.weight": [attention, size], "\(prefix).W.bias": [attention], "\(prefix).v.weight": [1, attention]]
    }

    /// Loads the tensors (shapes already validated).
    init(prefix: String, size: Int, attention: Int, tensors: [String: SafetensorsFile.Tensor]) {
        projection = LinearLayer(inputs: size, outputs: attention,
                                 weight: tensors["\(prefix).W.weight"]?.values ?? [],
                                 bias: tensors["\(prefix).W.bias"]?.values ?? [])
        vector = tensors["\(prefix).v.weight"]?.values ?? []
    }

    /// Pools `batch` sequences: `sequence` (steps, batch, D), time-major -> `context` (batch, D).
    /// `scores` holds (steps*batch, A) scratch, `weights` (steps*batch) and `alpha` (steps).
    func forward(_ sequence: UnsafePointer<Float>, batch: Int, steps: Int,
                 into context: UnsafeMutablePointer<Float>,
                 scores: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>,
                 alpha: UnsafeMutablePointer<Float>) {
        let size = projection.inputs
        let attention = projection.outputs
        // scores (steps*batch, A) = tanh(sequence · Wᵀ + b)
        projection.forward(sequence, rows: batch * steps, inputStride: size, into: scores)
        VectorMath.tanhInPlace(scores, count: batch * steps * attention)
        // weights (steps*batch) = scores · v
        vector.withUnsafeBufferPointer { v in
            LinearAlgebra.multiplyTransposed(scores, rows: batch * steps, inputs: attention, inputStride: attention,
                                             weight: v.baseAddress!, outputs: 1, into: weights, outputStride: 1)
        }
        for row in 0..<batch {
            for time in 0..<steps { alpha[time] = weights[time * batch + row] }   // (steps)
            VectorMath.softmaxInPlace(alpha, count: steps)
            // context[row] (D) = alphaᵀ (1, steps) · sequence[:, row] (steps, D; row stride batch*D)
            LinearAlgebra.multiplyTransposedLeft(sequence + row * size, rows: steps, columns: size,
                                                 rowStride: batch * size, vector: alpha, into: context + row * size)
        }
    }
}
