/// A value of csihard.toml, as the key appliers see it (``TOMLReader`` converts TOMLKit's values into these).
public enum TOMLValue: Sendable, Equatable, CustomStringConvertible {
    /// A string (basic, literal or multi-line).
    case string(String)
    /// A decimal, hex (0x), octal (0o) or binary (0b) integer (64-bit).
    case integer(Int)
    /// A float (also inf and nan).
    case float(Double)
    /// true or false.
    case boolean(Bool)
    /// An array of values (an array of tables is not a value: see ``TOMLReader``).
    case array([TOMLValue])
    /// A TOML date, time or date-time, as written in TOML (no key takes one: appliers refuse it by its type name).
    case date(String)

    /// The TOML type name, for error messages.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .boolean: return "boolean"
        case .array: return "array"
        case .date(let text): return text.contains(":") ? (text.contains("-") ? "date-time" : "time") : "date"
        }
    }

    /// TOML-like text of the value.
    public var description: String {
        switch self {
        case .string(let text): return "\"\(text)\""
        case .integer(let value): return "\(value)"
        case .float(let value): return "\(value)"
        case .boolean(let value): return "\(value)"
        case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .date(let text): return text
        }
    }
}
