import CSIFeatures

/// What `csihar evaluate` needs from a model: its input spec, its labels and batch logits. The Swift engine
/// (`CSIInference`) provides it; tests may use any other implementation.
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
}

extension WindowClassifier {
    /// `amplitude-db` unless the classifier says otherwise.
    var transform: FeatureTransform { .amplitudeDB }
}
