import CSIFeatures

/// What the pipeline needs from a model: a batch of raw (un-normalised) windows in, class probabilities out.
///
/// The engine's `CSIModel` is adapted to this in ``ModelClassifier`` (when the engine is available); tests use
/// classifiers whose behaviour they control.
public protocol WindowClassifier: AnyObject {
    /// Class labels, in output order.
    var labels: [String] { get }
    /// Steps per window.
    var steps: Int { get }
    /// Features per step.
    var features: Int { get }
    /// Model steps per second of capture time.
    var sampleRateHz: Double { get }
    /// A short description for logs and `status` (name, architecture, file).
    var name: String { get }
    /// What a window step holds (the model's `input.transform`).
    var transform: FeatureTransform { get }
    /// What it needs from a stream (chains, rate); the router checks streams against it.
    var requirements: ModelRequirements { get }
    /// The smoother values the model declares for its streams (``ModelSmootherDefaults``; none by default).
    var smootherDefaults: ModelSmootherDefaults { get }
    /// Classifies `batch` windows. `windows` is (batch, steps, features) raw features and may be overwritten
    /// (e.g. normalised in place); `probabilities` receives (batch, labels.count), each row summing to 1.
    func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                  into probabilities: UnsafeMutableBufferPointer<Float>) throws
    /// The same model for another pipeline worker: it may share the immutable weights, but has its own buffers and
    /// per-stream state, so two workers can classify at once. A classifier without mutable state may return itself.
    func replica() throws -> any WindowClassifier
}

extension WindowClassifier {
    /// `amplitude-db` unless the classifier says otherwise (test classifiers, older adapters).
    public var transform: FeatureTransform { .amplitudeDB }
    /// The requirements of ``transform`` (model files read theirs from `input`, see ``ModelClassifier``).
    public var requirements: ModelRequirements { ModelRequirements(transform: transform) }
    /// None: the configured smoother applies as it is.
    public var smootherDefaults: ModelSmootherDefaults { ModelSmootherDefaults() }
    /// Itself, for a classifier without per-stream state. A ``StreamingWindowClassifier`` keeps per-stream state
    /// (its slots), so sharing it between pipeline workers would race: it must implement `replica()` itself
    /// (``ModelClassifier`` does), and this default refuses it with an error naming the classifier, which stops a
    /// daemon with several workers at startup instead of letting two workers corrupt each other's streams.
    public func replica() throws -> any WindowClassifier {
        if self is any StreamingWindowClassifier {
            throw ClassifierError("\(name): a streaming classifier keeps per-stream state and must implement replica() "
                                  + "to run on several pipeline workers (or run with pipeline.workers = 1)")
        }
        return self
    }
}
