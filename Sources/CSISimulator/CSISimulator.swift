/// Namespace marker for the `CSISimulator` module (see README, Architecture).
public enum CSISimulatorModule {
    /// The module name.
    public static let name = "CSISimulator"
}
