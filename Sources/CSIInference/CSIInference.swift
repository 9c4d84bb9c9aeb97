/// Namespace marker for the `CSIInference` module (see README, Architecture).
public enum CSIInferenceModule {
    /// The module name.
    public static let name = "CSIInference"
}
