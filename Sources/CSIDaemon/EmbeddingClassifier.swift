import CSIFeatures
import CSIInference

/// A classifier whose final layer is a linear head over an embedding, so that a calibrated head can replace it:
/// `csihar evaluate --calibration-*` and `csihar calibrate-head` fit heads on these embeddings, and the daemon's
/// per-stream heads (``CalibratableClassifier``) apply them. ``ModelClassifier`` is one. `csihar evaluate` reads
/// any ``WindowClassifier``; one that is not an `EmbeddingClassifier` is calibrated over its log-probabilities
/// (the identity head), which gives its probabilities back unchanged.
public protocol EmbeddingClassifier: WindowClassifier {
    /// The input normalisation frozen at training time (`input.normalization`), applied inside the classifier.
    var normalization: Normalization { get }
    /// E, the size of one window's embedding.
    var embeddingSize: Int { get }
    /// The model's own head (E inputs, one output per label).
    var head: ClassifierHead { get }
    /// Embeddings (batch, E) of `batch` raw windows (batch, steps, features); `windows` may be overwritten (it is
    /// normalised in place). With ``head``, `softmax(embedding · Wᵀ + b)` are the probabilities `classify` gives.
    func embeddings(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                    into embeddings: UnsafeMutableBufferPointer<Float>) throws
}
