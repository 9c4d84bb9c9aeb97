/// The line of every table header and `key =` of a TOML document, by full key (`table.key`, `route[N]`,
/// `route[N].key`), found by scanning the text: headers and keys are read, values are only skipped (strings,
/// multi-line strings, arrays spanning lines, inline tables, comments). Keys inside inline tables are not
/// indexed: ``line(of:)`` gives them the line of the nearest indexed parent (the `key = {` line). Meant for text
/// TOMLKit has already accepted; on anything else it indexes what it can and never fails.
public struct TOMLLineIndex: Sendable {
    private var lines: [String: Int] = [:]

    /// The first table header (`[` or `[[`) whose name starts with neither a bare-key character, a quote nor `]`:
    /// its line and what stands there. The toml++ that TOMLKit 0.6.0 bundles asserts on such a header (`[@x]`,
    /// `[` then a newline) and aborts the process instead of reporting an error, so ``TOMLReader`` refuses it first.
    /// Valid TOML never has one.
    public private(set) var malformedHeader: (line: Int, found: String)?

    /// The first value that is a date followed by `T`/`t` and no hour (`1980-05-27Tq07:32:00Z`), or by a space and a
    /// single digit (`1979-05-27 1`): its line, what was expected and what stands there. The same toml++ asserts on
    /// both (in `parse_time`, and in `parse_value` when a value terminator follows the digit; found by `make fuzz`);
    /// valid TOML never has one.
    public private(set) var malformedDateTime: (line: Int, expected: String, found: String)?

    /// The line of the first `}` where an array expects a value (`[}]`, `[1, }]`, `[ # c` then `}`). The same toml++
    /// asserts in `parse_value` on it (found by `make fuzz`); valid TOML never has one.
    public private(set) var malformedArrayValue: Int?

    /// The first U+0085, U+2028 or U+2029 outside strings and comments: its line and its name. toml++ counts them as
    /// whitespace that ends a value but does not skip them where an array expects a value (`a = [`, U+2028, `]`),
    /// and asserts in `parse_value` (found reading toml++); valid TOML never has one there.
    public private(set) var unicodeLineBreak: (line: Int, name: String)?

    /// The line where a key is more than ``maximumDepth`` parts deep (its table header's and its own dotted parts,
    /// and those of the inline tables it is in). A dotted key of 8,000 parts overflowed the stack (toml++ and
    /// ``TOMLReader`` recurse once per part) and a header of 20,000 parts took seconds to index; csihard's keys are
    /// 3 parts deep. (toml++ itself caps arrays and inline tables nested in each other at 256.)
    public private(set) var tooDeep: Int?

    /// How many parts deep a key may be (see ``tooDeep``).
    public static let maximumDepth = 64

    /// Indexes `text`.
    public init(_ text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.run()
        lines = scanner.lines
        malformedHeader = scanner.malformedHeader
        malformedDateTime = scanner.malformedDateTime
        malformedArrayValue = scanner.malformedArrayValue
        unicodeLineBreak = scanner.unicodeLineBreak
        tooDeep = scanner.tooDeep
    }

    /// The 1-based line of `key`, or of its nearest indexed parent (`a.b[2].c` -> `a.b[2]` -> `a.b` -> `a`); 0 if
    /// none is indexed.
    public func line(of key: String) -> Int {
        var key = Substring(key)
        while true {
            if let line = lines[String(key)] { return line }
            if key.hasSuffix("]"), let open = key.lastIndex(of: "[") {
                key = key[..<open]
            } else if let dot = key.lastIndex(of: ".") {
                key = key[..<dot]
            } else {
                return 0
            }
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lines: [String: Int] = [:]
        /// Tables seen of each array of tables (by resolved name, e.g. `route`, `fruit[1].variety`).
        var arrayCounts: [String: Int] = [:]
        /// The resolved path of the current table (`route[2]`, `a.b`).
        var table: [String] = []
        /// See ``TOMLLineIndex/malformedHeader``.
        var malformedHeader: (line: Int, found: String)?
        /// See ``TOMLLineIndex/malformedDateTime``.
        var malformedDateTime: (line: Int, expected: String, found: String)?
        /// See ``TOMLLineIndex/malformedArrayValue``.
        var malformedArrayValue: Int?
        /// See ``TOMLLineIndex/unicodeLineBreak``.
        var unicodeLineBreak: (line: Int, name: String)?
        /// See ``TOMLLineIndex/tooDeep``.
        var tooDeep: Int?

        mutating func noteDepth(_ depth: Int) {
            if depth > TOMLLineIndex.maximumDepth, tooDeep == nil { tooDeep = line }
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        func peek(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

        mutating func run() {
            while true {
                skipTrivia()
                guard let byte = current else { return }
                let start = index
                if byte == UInt8(ascii: "[") {
                    header()
                } else {
                    keyValue()
                }
                if index == start { index += 1 }  // never stall on text TOMLKit would refuse
            }
        }

        /// Spaces, newlines and comments between statements.
        mutating func skipTrivia() {
            while let byte = current {
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
                case UInt8(ascii: "\n"): index += 1; line += 1
                case UInt8(ascii: "#"): skipComment()
                default: return
                }
            }
        }

        mutating func skipComment() {
            while let byte = current, byte != UInt8(ascii: "\n") { index += 1 }
        }

        mutating func skipSpaces() {
            while let byte = current, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { index += 1 }
        }

        /// Resolves a path as written to its indexed form: a prefix naming an array of tables means its latest table.
        func resolve(_ parts: [String]) -> [String] {
            var resolved: [String] = []
            for part in parts {
                resolved.append(part)
                if let count = arrayCounts[resolved.joined(separator: ".")] { resolved[resolved.count - 1] = "\(part)[\(count)]" }
            }
            return resolved
        }

        /// `[a.b]` or `[[a.b]]`.
        mutating func header() {
            index += 1
            let isArray = current == UInt8(ascii: "[")
            if isArray { index += 1 }
            checkNameStart(isArray: isArray)
            let parts = key()
            noteDepth(parts.count)
            if isArray, !parts.isEmpty {
                var resolved = resolve(Array(parts.dropLast()))
                let name = (resolved + [parts.last!]).joined(separator: ".")
                let count = (arrayCounts[name] ?? 0) + 1
                arrayCounts[name] = count
                resolved.append("\(parts.last!)[\(count)]")
                table = resolved
            } else {
                table = resolve(parts)
            }
            let name = table.joined(separator: ".")
            if lines[name] == nil { lines[name] = line }
            while let byte = current, byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "#") { index += 1 }
        }

        /// Records the first header whose name (after spaces) starts with a character toml++ asserts on; `[` after
        /// a single `[` (as in `[ [t]]`) and the end of the text it reports itself, `[` after `[[` (`[[[t]]]`,
        /// `[[ [t]]]`) it asserts on too.
        mutating func checkNameStart(isArray: Bool) {
            guard malformedHeader == nil else { return }
            var at = index
            while at < bytes.count, bytes[at] == UInt8(ascii: " ") || bytes[at] == UInt8(ascii: "\t") { at += 1 }
            guard at < bytes.count else { return }
            let byte = bytes[at]
            var fine: Set<UInt8> = [UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]")]
            if !isArray { fine.insert(UInt8(ascii: "[")) }
            guard !Self.isBare(byte), !fine.contains(byte) else { return }
            malformedHeader = (line, describe(at))
        }

        /// `key = value`: indexes the key, skips the value.
        mutating func keyValue() {
            let parts = key()
            guard !parts.isEmpty else { return }
            let depth = table.count + parts.count
            noteDepth(depth)
            let name = (table + parts).joined(separator: ".")
            if lines[name] == nil { lines[name] = line }
            skipSpaces()
            guard current == UInt8(ascii: "=") else { return }
            index += 1
            skipValue(depth: depth)
        }

        /// A dotted key of bare and quoted parts (at most ``TOMLLineIndex/maximumDepth`` + 1 kept: enough for the
        /// callers to note a key too deep without resolving thousands of parts).
        mutating func key() -> [String] {
            var parts: [String] = []
            while true {
                skipSpaces()
                guard let byte = current else { return parts }
                let part: String
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    part = quotedKey(byte)
                } else {
                    let start = index
                    while let next = current, Self.isBare(next) { index += 1 }
                    guard index > start else { return parts }
                    part = String(decoding: bytes[start..<index], as: UTF8.self)
                }
                if parts.count <= TOMLLineIndex.maximumDepth { parts.append(part) }
                skipSpaces()
                guard current == UInt8(ascii: ".") else { return parts }
                index += 1
            }
        }

        static func isBare(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }

        /// A quoted key on one line; basic-string escapes decoded.
        mutating func quotedKey(_ quote: UInt8) -> String {
            index += 1
            var out: [UInt8] = []
            while let byte = current, byte != UInt8(ascii: "\n") {
                index += 1
                if byte == quote { break }
                guard quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\"), let escape = current else { out.append(byte); continue }
                index += 1
                switch escape {
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = escape == UInt8(ascii: "u") ? 4 : 8
                    guard index + count <= bytes.count,
                          let code = UInt32(String(decoding: bytes[index..<(index + count)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(code) else { continue }
                    index += count
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: out.append(escape)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// A value: to the end of its last line (arrays and inline tables may span lines; strings may be multi-line).
        /// `depth`: the levels of the key it is the value of.
        mutating func skipValue(depth: Int) {
            var open: [UInt8] = []       // the `[` and `{` the scan is inside, innermost last
            var valueExpected = false    // inside an array, after `[` or `,`: a value or `]` must come next
            // Key depth: the key's, plus each `.` outside strings since the last `,` at each open `[`/`{` (dotted
            // keys inside inline tables; a float's one dot only over-counts by one). toml++ caps `[`/`{` nesting.
            var outer: [Int] = []        // the depth at each open `[`/`{`
            var level = depth            // the depth at the scan
            while let byte = current {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    valueExpected = false
                    skipString(byte)
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    open.append(byte); index += 1
                    valueExpected = byte == UInt8(ascii: "[")
                    outer.append(level)
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if byte == UInt8(ascii: "}"), valueExpected, open.last == UInt8(ascii: "["), malformedArrayValue == nil {
                        malformedArrayValue = line
                    }
                    _ = open.popLast(); index += 1
                    valueExpected = false
                    level = outer.popLast() ?? depth
                case UInt8(ascii: "."):
                    valueExpected = false
                    level += 1; index += 1
                    noteDepth(level)
                case UInt8(ascii: ","):
                    valueExpected = open.last == UInt8(ascii: "["); index += 1
                    level = outer.last ?? depth
                case UInt8(ascii: "#"):
                    skipComment()
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    index += 1
                case UInt8(ascii: "\n"):
                    if open.isEmpty { return }
                    index += 1; line += 1
                default:
                    if unicodeLineBreak == nil { checkUnicodeLineBreak() }
                    valueExpected = false
                    if malformedDateTime == nil { checkDateTime() }
                    index += 1
                }
            }
        }

        /// Records a value token `YYYY-MM-DD` + `T`/`t` not followed by a digit, or a 10-character token with `-` 5th
        /// and 8th followed by a space and a lone digit (see ``TOMLLineIndex/malformedDateTime``).
        mutating func checkDateTime() {
            guard index == 0 || !Self.isBare(bytes[index - 1]) else { return }
            func digit(_ at: Int) -> Bool { at < bytes.count && bytes[at] >= 0x30 && bytes[at] <= 0x39 }
            guard digit(index) else { return }
            if index + 11 <= bytes.count, [1, 2, 3, 5, 6, 8, 9].allSatisfy({ digit(index + $0) }),
               bytes[index + 4] == UInt8(ascii: "-"), bytes[index + 7] == UInt8(ascii: "-"),
               bytes[index + 10] == UInt8(ascii: "T") || bytes[index + 10] == UInt8(ascii: "t") {
                if !digit(index + 11) { malformedDateTime = (line, "an hour after 'T'", describe(index + 11)) }
                return
            }
            // toml++ reads a token of 10 characters with `-` 5th and 8th then a space as a date-time with a space for
            // the `T`, and asserts when one digit and a value terminator follow. It counts characters, not bytes, and
            // skips `_`, so this does too; `1979-05-27 07:32:00` (two digits) is valid, a lone digit never is.
            // With `_` in the token (never valid in a date), toml++ can also read back further than it keeps
            // (`step_back` asserts when the token is 125-127 characters long), so then any digit after the space is.
            var chars: [UInt8] = []      // the token's characters (first byte of each), without `_`
            var underscore = false
            var at = index
            scan: while at < bytes.count, chars.count <= 10 {
                switch bytes[at] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C,
                     UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: "#"):
                    break scan
                case UInt8(ascii: "_"):
                    underscore = true
                case 0x80...0xBF:
                    break
                default:
                    chars.append(bytes[at])
                }
                at += 1
            }
            guard chars.count == 10, chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"), at < bytes.count,
                  bytes[at] == UInt8(ascii: " "), digit(at + 1), underscore || !digit(at + 2) else { return }
            malformedDateTime = (line, "a date and a 2-digit hour",
                                 "'" + String(decoding: bytes[index...(at + 1)], as: UTF8.self) + "' then " + describe(at + 2))
        }

        /// Records U+0085, U+2028 or U+2029 at the scan (see ``TOMLLineIndex/unicodeLineBreak``).
        mutating func checkUnicodeLineBreak() {
            switch (bytes[index], peek(1), peek(2)) {
            case (0xC2, 0x85, _): unicodeLineBreak = (line, "U+0085 (next line)")
            case (0xE2, 0x80, 0xA8): unicodeLineBreak = (line, "U+2028 (line separator)")
            case (0xE2, 0x80, 0xA9): unicodeLineBreak = (line, "U+2029 (paragraph separator)")
            default: break
            }
        }

        /// What stands at `at`, for a syntax error: `'c'` (the whole UTF-8 character) or `the end of the line`.
        func describe(_ at: Int) -> String {
            guard at < bytes.count, bytes[at] != UInt8(ascii: "\n"), bytes[at] != UInt8(ascii: "\r") else {
                return "the end of the line"
            }
            var end = at + 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
            return "'" + String(decoding: bytes[at..<end], as: UTF8.self) + "'"
        }

        /// A string value, one-line or multi-line (`"""`, `'''`), counting the newlines inside.
        mutating func skipString(_ quote: UInt8) {
            let multiLine = peek(1) == quote && peek(2) == quote
            index += multiLine ? 3 : 1
            while let byte = current {
                if quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                    if peek(1) == UInt8(ascii: "\n") { line += 1 }
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\n") {
                    guard multiLine else { return }
                    line += 1
                }
                if byte == quote {
                    if !multiLine { index += 1; return }
                    if peek(1) == quote && peek(2) == quote {
                        index += 3
                        // Up to two more quotes belong to the string (`""""a""""`).
                        while current == quote { index += 1 }
                        return
                    }
                }
                index += 1
            }
        }
    }
}
