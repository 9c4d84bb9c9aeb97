/// Namespace marker for the `CSIDaemon` module (see README, Architecture).
public enum CSIDaemonModule {
    /// The module name.
    public static let name = "CSIDaemon"
}
