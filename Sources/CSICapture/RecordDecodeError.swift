/// Why one record (an Intel 5300 body, a Nexmon payload, a CSV line) could not be decoded.
///
/// Decoders throw this; readers turn it into a ``CaptureIssue`` carrying the file and byte offset.
public struct RecordDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short stable category used for counters, e.g. `bad-length`, `bad-magic`, `unknown-chip`.
    public var kind: String
    /// Human-readable reason.
    public var reason: String

    /// Creates an error.
    public init(kind: String, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// `reason [kind]`.
    public var description: String { "\(reason) [\(kind)]" }
}
