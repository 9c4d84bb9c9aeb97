/// A document that is not TOML, or a value csihard cannot take: line, reason and, when known, the key.
public struct TOMLSyntaxError: Error, Sendable, CustomStringConvertible {
    /// 1-based line.
    public var line: Int
    /// Why.
    public var reason: String
    /// The key (`table.key`) the problem is in, when there is one.
    public var key: String?
    /// `line N: [key: ]reason`.
    public var description: String { "line \(line): " + (key.map { "\($0): " } ?? "") + reason }
}
