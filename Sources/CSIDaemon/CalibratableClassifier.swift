import CSIInference

/// A streaming classifier whose streams can be calibrated one by one (``ModelClassifier``): a few-shot head per
/// stream and a per-feature offset added to every raw step of a stream before normalisation.
public protocol CalibratableClassifier: StreamingWindowClassifier {
    /// The loaded model (config, labels, embedding size).
    var model: CSIModel { get }
    /// SHA-256 (hex) of the model file, computed when it was loaded.
    var modelSHA256: String { get }
    /// The model's `input.idle_reference` (mean raw step of idle training windows, (features)), if it declares one.
    var idleReference: [Float]? { get }
    /// Uses `head` for the windows of `slot` (`nil`: the model's own head, through the exact uncalibrated path).
    func setHead(_ head: ClassifierHead?, for slot: Int) throws
    /// Adds `offsets` (features) to every raw step appended to `slot` from now on (`nil`: none).
    func setStepOffsets(_ offsets: [Float]?, for slot: Int)
}
