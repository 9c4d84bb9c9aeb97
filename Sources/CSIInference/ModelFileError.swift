/// A model file that cannot be used: names the file, the field or tensor at fault, and why.
///
/// Every failure of ``CSIModel/load(path:)`` is one of these; loading never traps and never allocates more
/// than the file's own size on hostile input.
public struct ModelFileError: Error, Sendable, CustomStringConvertible {
    /// The file (or the source name given to ``CSIModel/load(bytes:source:)``).
    public var path: String
    /// The config field (`hidden_size`, `input.steps`), tensor name (`gru.weight_ih_l0`) or file part (`header`).
    public var field: String
    /// What is wrong with it.
    public var reason: String

    /// Creates an error.
    public init(path: String, field: String, reason: String) {
        self.path = path
        self.field = field
        self.reason = reason
    }

    /// `path: field: reason`.
    public var description: String { "\(path): \(field): \(reason)" }
}
