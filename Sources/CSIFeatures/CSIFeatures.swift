/// Namespace marker for the `CSIFeatures` module (see README, Architecture).
public enum CSIFeaturesModule {
    /// The module name.
    public static let name = "CSIFeatures"
}
