import CSIFeatures

/// A model file run by the Swift engine (CSIInference), as a ``WindowClassifier``.
struct EngineClassifier: WindowClassifier {
    let labels: [String]
    let steps: Int
    let features: Int
    let sampleRateHz: Double
    let normalization: Normalization

    /// Loads `path`; a bad file stops with a message naming the field.
    init(path: String) throws {
        throw EvaluationError("\(path): the Swift engine (CSIInference) is not in this build yet")
    }

    func logits(_ windows: [Float], count: Int) throws -> [Float] {
        throw EvaluationError("the Swift engine (CSIInference) is not in this build yet")
    }
}
