/// Namespace marker for the `CSIEvents` module (see README, Architecture).
public enum CSIEventsModule {
    /// The module name.
    public static let name = "CSIEvents"
}
