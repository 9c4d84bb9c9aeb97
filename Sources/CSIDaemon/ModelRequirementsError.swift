/// A model `input` declaration the router cannot use; names the field (`input.transform`, `input.layout`,
/// `input.min_rate_hz`).
public struct ModelRequirementsError: Error, Sendable, CustomStringConvertible {
    /// The offending key.
    public var field: String
    /// Why.
    public var reason: String

    /// Creates an error.
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// `field: reason`.
    public var description: String { "\(field): \(reason)" }
}
