/// One `key = value` of a document: its full dotted key (`table.key`) and the line it is on.
public struct TOMLEntry: Sendable, Equatable {
    /// `table.key` (`key` for top-level keys; `route[N].key` for the N-th `[[route]]` table, N from 1).
    public var key: String
    /// The value.
    public var value: TOMLValue
    /// 1-based line of the key (0 if unknown).
    public var line: Int
}
