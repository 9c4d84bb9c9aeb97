import Foundation

/// A value in a TOML document (the subset csihard's config uses).
public enum TOMLValue: Sendable, Equatable, CustomStringConvertible {
    /// A basic ("...") or literal ('...') string.
    case string(String)
    /// A decimal, hex (0x), octal (0o) or binary (0b) integer.
    case integer(Int)
    /// A float (also inf and nan).
    case float(Double)
    /// true or false.
    case boolean(Bool)
    /// An array of values (may span lines).
    case array([TOMLValue])

    /// The TOML type name, for error messages.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .boolean: return "boolean"
        case .array: return "array"
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
        }
    }
}

/// One `key = value` of a document: its full dotted key (`table.key`) and the line it is on.
public struct TOMLEntry: Sendable, Equatable {
    /// `table.key` (`key` for top-level keys).
    public var key: String
    /// The value.
    public var value: TOMLValue
    /// 1-based line of the key.
    public var line: Int
}

/// A syntax error: line and reason.
public struct TOMLSyntaxError: Error, Sendable, CustomStringConvertible {
    /// 1-based line.
    public var line: Int
    /// Why.
    public var reason: String
    /// `line N: reason`.
    public var description: String { "line \(line): \(reason)" }
}

/// Parses the TOML subset csihard's config needs: comments, `[table]` and `[table.sub]` headers, bare or quoted
/// keys (dotted keys allowed), strings (basic with escapes, literal), integers (with `_`, 0x/0o/0b), floats,
/// booleans, arrays (nested, multi-line, trailing comma) and arrays of tables (`[[route]]`: the keys of its N-th
/// table, counted from 1, are `route[N].key`). Not supported (clear error): inline tables, multi-line strings,
/// dates. Duplicate keys are errors, as in TOML.
public struct TOMLParser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    /// Arrays open around the value being parsed.
    private var depth = 0

    /// Arrays nest at most this deep (the parser recurses per level; a deeper file is an error, not a stack overflow).
    public static let maximumArrayNesting = 32

    /// Parses `text` into entries in file order.
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> [TOMLEntry] {
        try parseDocument(text).entries
    }

    /// Parses `text` into entries in file order, with every `[[name]]` header (name, 1-based index, line), so that
    /// a table of an array that has no keys is still seen.
    public static func parseDocument(_ text: String) throws(TOMLSyntaxError)
        -> (entries: [TOMLEntry], arrayTables: [(name: String, index: Int, line: Int)]) {
        var parser = TOMLParser(bytes: Array(text.utf8))
        let entries = try parser.document()
        return (entries, parser.arrayTables)
    }

    /// `[[name]]` headers seen so far: name, 1-based index among the tables of that name, line.
    private var arrayTables: [(name: String, index: Int, line: Int)] = []

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func fail(_ reason: String) -> TOMLSyntaxError { TOMLSyntaxError(line: line, reason: reason) }

    private mutating func document() throws(TOMLSyntaxError) -> [TOMLEntry] {
        var entries: [TOMLEntry] = []
        var table: [String] = []
        var seenKeys = Set<String>(), seenTables = Set<String>()
        while true {
            skipBlankAndComments(newlines: true)
            guard let byte = current else { break }
            if byte == UInt8(ascii: "[") {
                index += 1
                let isArray = current == UInt8(ascii: "[")
                if isArray { index += 1 }
                skipSpaces()
                table = try key()
                skipSpaces()
                guard current == UInt8(ascii: "]") else { throw fail("expected ']' to close the table header") }
                index += 1
                if isArray {
                    guard current == UInt8(ascii: "]") else { throw fail("expected ']]' to close the array-of-tables header") }
                    index += 1
                    let base = table.joined(separator: ".")
                    let number = arrayTables.filter { $0.name == base }.count + 1
                    arrayTables.append((base, number, line))
                    table = ["\(base)[\(number)]"]
                }
                let name = table.joined(separator: ".")
                guard seenTables.insert(name).inserted else { throw fail("table [\(name)] defined twice") }
                try endOfLine()
                continue
            }
            let keyLine = line
            let path = table + (try key())
            skipSpaces()
            guard current == UInt8(ascii: "=") else { throw fail("expected '=' after the key \(path.joined(separator: "."))") }
            index += 1
            skipSpaces()
            let parsed = try value()
            let name = path.joined(separator: ".")
            guard seenKeys.insert(name).inserted else { throw TOMLSyntaxError(line: keyLine, reason: "key \(name) defined twice") }
            entries.append(TOMLEntry(key: name, value: parsed, line: keyLine))
            try endOfLine()
        }
        return entries
    }

    /// A key: bare (`A-Za-z0-9_-`) or quoted parts joined by dots.
    private mutating func key() throws(TOMLSyntaxError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let byte = current else { throw fail("expected a key") }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                parts.append(try string())
            } else {
                let start = index
                while let next = current, Self.isBare(next) { index += 1 }
                guard index > start else { throw fail("expected a key, found '\(Character(Unicode.Scalar(byte)))'") }
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            skipSpaces()
            guard current == UInt8(ascii: ".") else { return parts }
            index += 1
        }
    }

    private static func isBare(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private mutating func value() throws(TOMLSyntaxError) -> TOMLValue {
        guard let byte = current else { throw fail("expected a value") }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return .string(try string())
        case UInt8(ascii: "["):
            guard depth < Self.maximumArrayNesting else {
                throw fail("arrays nested deeper than \(Self.maximumArrayNesting) levels")
            }
            depth += 1
            defer { depth -= 1 }
            index += 1
            var values: [TOMLValue] = []
            while true {
                skipBlankAndComments(newlines: true)
                if current == UInt8(ascii: "]") { index += 1; return .array(values) }
                values.append(try value())
                skipBlankAndComments(newlines: true)
                if current == UInt8(ascii: ",") { index += 1; continue }
                guard current == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in the array") }
                index += 1
                return .array(values)
            }
        case UInt8(ascii: "{"):
            throw fail("inline tables ({...}) are not supported; use a [table]")
        default:
            let start = index
            while let next = current, !Self.endsScalar(next) { index += 1 }
            let token = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let parsed = Self.scalar(token) else { throw fail("'\(token)' is not a string, number, boolean or array") }
            return parsed
        }
    }

    private static func endsScalar(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "#")
    }

    /// A bare token: boolean, integer or float.
    private static func scalar(_ token: String) -> TOMLValue? {
        switch token {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        guard !token.hasPrefix("_"), !token.hasSuffix("_"), !token.contains("__") else { return nil }
        let digits = token.replacingOccurrences(of: "_", with: "")
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where digits.hasPrefix(prefix) {
            return Int(digits.dropFirst(2), radix: radix).map(TOMLValue.integer)
        }
        let unsigned = digits.hasPrefix("+") || digits.hasPrefix("-") ? String(digits.dropFirst()) : digits
        guard let first = unsigned.first, first.isNumber else { return nil }
        if unsigned.count > 1 && unsigned.hasPrefix("0") && unsigned.dropFirst().first?.isNumber == true { return nil }
        if let integer = Int(digits) { return .integer(integer) }
        if digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let number = Double(digits) { return .float(number) }
        return nil
    }

    /// A basic string with escapes or a literal string, on one line.
    private mutating func string() throws(TOMLSyntaxError) -> String {
        let quote = bytes[index]
        index += 1
        if current == quote, index + 1 < bytes.count, bytes[index + 1] == quote {
            throw fail("multi-line strings are not supported")
        }
        var out: [UInt8] = []
        while true {
            guard let byte = current, byte != UInt8(ascii: "\n") else { throw fail("unterminated string") }
            index += 1
            if byte == quote { return String(decoding: out, as: UTF8.self) }
            if quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                guard let escape = current else { throw fail("unterminated string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = escape == UInt8(ascii: "u") ? 4 : 8
                    guard index + count <= bytes.count,
                          let code = UInt32(String(decoding: bytes[index..<(index + count)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(code) else { throw fail("bad \\u escape") }
                    index += count
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw fail("unknown escape \\\(Character(Unicode.Scalar(escape)))")
                }
            } else {
                out.append(byte)
            }
        }
    }

    private mutating func skipSpaces() {
        while let byte = current, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { index += 1 }
    }

    /// Skips spaces and comments, and newlines too when `newlines`.
    private mutating func skipBlankAndComments(newlines: Bool) {
        while let byte = current {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                index += 1
            } else if byte == UInt8(ascii: "#") {
                while let next = current, next != UInt8(ascii: "\n") { index += 1 }
            } else if newlines && byte == UInt8(ascii: "\n") {
                index += 1
                line += 1
            } else {
                return
            }
        }
    }

    /// After a value or header: optional spaces and comment, then a newline or the end.
    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipBlankAndComments(newlines: false)
        guard let byte = current else { return }
        guard byte == UInt8(ascii: "\n") else {
            throw fail("unexpected '\(Character(Unicode.Scalar(byte)))' after the value (one key = value per line)")
        }
        index += 1
        line += 1
    }
}
