import TOMLKit

/// Reads csihard.toml with TOMLKit (toml++: all of TOML 1.0, syntax errors with their line and column) and
/// flattens it into ``TOMLEntry``s in file order: nested tables, dotted keys and inline tables give `table.key`
/// (`a.b.c`); the N-th table of an array of tables (`[[route]]`, or `route = [{...}, {...}]`), counted from 1, gives
/// `route[N].key`. Dates and times become ``TOMLValue/date(_:)``; an array mixing values and tables is refused.
///
/// TOMLKit does not expose where a key or value is (toml++ `source_region` is only surfaced for parse errors), so
/// the lines of keys come from ``TOMLLineIndex``, a scanner over the (already valid) text that maps headers and
/// `key =` lines to their line numbers without interpreting values.
///
/// TOMLKit 0.6.0 never frees a parsed document (its `TOMLTable` has no deinit and toml++'s table is not deleted),
/// so each read leaks about the size of the document: csihard reads its config once at startup and once per SIGHUP.
public enum TOMLReader {
    /// Parses `text` into entries in file order.
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> [TOMLEntry] {
        try parseDocument(text).entries
    }

    /// Parses `text` into entries in file order, with every table of an array of tables (name, 1-based index,
    /// line), so that a table of an array that has no keys is still seen.
    public static func parseDocument(_ text: String) throws(TOMLSyntaxError)
        -> (entries: [TOMLEntry], arrayTables: [(name: String, index: Int, line: Int)]) {
        // toml++ reads a C string: a NUL would silently end the document early.
        if let nul = text.utf8.firstIndex(of: 0) {
            let line = text.utf8[..<nul].reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            throw TOMLSyntaxError(line: line, reason: "NUL character (U+0000) in the file")
        }
        let index = TOMLLineIndex(text)
        if let header = index.malformedHeader {
            throw TOMLSyntaxError(line: header.line, reason: "syntax error in table header: expected a table name (a bare "
                                  + "key or a quoted string), saw \(header.found)")
        }
        if let dateTime = index.malformedDateTime {
            throw TOMLSyntaxError(line: dateTime.line, reason: "syntax error in date-time: expected \(dateTime.expected), "
                                  + "saw \(dateTime.found)")
        }
        if let line = index.tooDeep {
            throw TOMLSyntaxError(line: line, reason: "key more than \(TOMLLineIndex.maximumDepth) parts deep "
                                  + "(its table header's, its own and its inline tables' dotted parts together)")
        }
        if let lineBreak = index.unicodeLineBreak {
            throw TOMLSyntaxError(line: lineBreak.line, reason: "syntax error: \(lineBreak.name) outside a string or comment")
        }
        if let line = index.malformedArrayValue {
            throw TOMLSyntaxError(line: line, reason: "syntax error in array: expected a value or closing ']', saw '}'")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TOMLSyntaxError(line: max(error.source.begin.line, 1), reason: reason(error))
        } catch {
            throw TOMLSyntaxError(line: 1, reason: "not a TOML document (\(error))")
        }
        var reader = Flattener(index: index)
        try reader.flatten(table, path: [])
        // toml++ tables are ordered by key: put the entries back in file order (ties keep their order).
        let entries = reader.entries.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
        let arrayTables = reader.arrayTables.sorted { ($0.line, $0.name, $0.index) < ($1.line, $1.name, $1.index) }
        return (entries, arrayTables)
    }

    /// toml++'s description on one line, "Error while parsing X: why" as "syntax error in X: why".
    private static func reason(_ error: TOMLParseError) -> String {
        var text = error.description.split(whereSeparator: \.isNewline).joined(separator: " ")
        let prefix = "Error while parsing "
        if text.hasPrefix(prefix) { text = "syntax error in " + text.dropFirst(prefix.count) }
        return text
    }

    /// Walks TOMLKit's tree into entries.
    private struct Flattener {
        let index: TOMLLineIndex
        var entries: [TOMLEntry] = []
        var arrayTables: [(name: String, index: Int, line: Int)] = []

        mutating func flatten(_ table: TOMLTable, path: [String]) throws(TOMLSyntaxError) {
            for (key, value) in table {
                let keyPath = path + [key]
                let name = keyPath.joined(separator: ".")
                if let inner = value.table {
                    try flatten(inner, path: keyPath)
                } else if let array = value.array, !array.isEmpty, array.allSatisfy({ $0.table != nil }) {
                    for (offset, element) in array.enumerated() {
                        let elementPath = path + ["\(key)[\(offset + 1)]"]
                        arrayTables.append((name, offset + 1, index.line(of: elementPath.joined(separator: "."))))
                        try flatten(element.table!, path: elementPath)
                    }
                } else {
                    let line = index.line(of: name)
                    entries.append(TOMLEntry(key: name, value: try Self.convert(value, key: name, line: line), line: line))
                }
            }
        }

        static func convert(_ value: any TOMLValueConvertible, key: String, line: Int) throws(TOMLSyntaxError) -> TOMLValue {
            switch value.type {
            case .string: return .string(value.string ?? "")
            case .int: return .integer(value.int ?? 0)
            case .double: return .float(value.double ?? .nan)
            case .bool: return .boolean(value.bool ?? false)
            case .date: return .date(value.date?.debugDescription ?? "")
            case .time: return .date(value.time?.debugDescription ?? "")
            case .dateTime: return .date(value.dateTime?.debugDescription ?? "")
            case .array:
                var values: [TOMLValue] = []
                for element in value.array! { values.append(try convert(element, key: key, line: line)) }
                return .array(values)
            case .table:
                throw TOMLSyntaxError(line: line, reason: "an array of values cannot hold a table", key: key)
            }
        }
    }
}
