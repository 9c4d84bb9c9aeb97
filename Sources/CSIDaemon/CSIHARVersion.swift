/// The release of csihar (daemon and CLI), printed by `--version` and sent in `status` replies' logs.
public enum CSIHARVersion {
    /// Semantic version of this source tree.
    public static let string = "0.14.0"
}
