import Foundation

/// A small SVG 1.1 writer: elements are appended as text in call order, attribute values and text are escaped,
/// numbers are written with at most ``decimals`` decimals and no trailing zeros, so the same drawing always gives
/// the same bytes (`csihar plot`, ``CapturePlot``).
struct SVGDocument {
    /// Width and height of the picture in user units (pixels when rasterised at 1x).
    let width: Double, height: Double
    /// Decimals kept in every number written through ``number(_:)``.
    let decimals: Int
    /// The body written so far (everything inside `<svg>`).
    private(set) var body = ""
    /// Open `<g>` groups not yet closed.
    private var depth = 0

    /// Starts an empty picture of `width` x `height`.
    init(width: Double, height: Double, decimals: Int = 2) {
        self.width = width
        self.height = height
        self.decimals = max(0, min(decimals, 6))
        body.reserveCapacity(1 << 16)
    }

    /// `value` with at most ``decimals`` decimals, trailing zeros (and a trailing point) removed, `-0` as `0`;
    /// a value that is not finite is written as `0`.
    func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// `text` with the five XML special characters escaped (valid in attribute values and character data).
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters other than tab and newline are not allowed in XML 1.0.
                if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
                   scalar.value < 0x20 && scalar != "\t" && scalar != "\n" {
                    out += " "
                } else {
                    out.append(character)
                }
            }
        }
        return out
    }

    /// One attribute value: a string as given (escaped), a number through ``number(_:)``.
    enum Value: ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
        case text(String)
        case number(Double)

        init(stringLiteral value: String) { self = .text(value) }
        init(floatLiteral value: Double) { self = .number(value) }
        init(integerLiteral value: Int) { self = .number(Double(value)) }
    }

    /// `name="value"` pairs, in the order given.
    private func attributes(_ pairs: KeyValuePairs<String, Value>) -> String {
        var out = ""
        for (name, value) in pairs {
            let text: String
            switch value {
            case .text(let string): text = Self.escape(string)
            case .number(let double): text = number(double)
            }
            out += " \(name)=\"\(text)\""
        }
        return out
    }

    /// Appends an empty element `<name .../>`.
    mutating func element(_ name: String, _ pairs: KeyValuePairs<String, Value>) {
        body += "<\(name)\(attributes(pairs))/>\n"
    }

    /// Appends `<text ...>content</text>`.
    mutating func text(_ content: String, _ pairs: KeyValuePairs<String, Value>) {
        body += "<text\(attributes(pairs))>\(Self.escape(content))</text>\n"
    }

    /// Appends a `<rect>` with the given geometry and extra attributes.
    mutating func rect(x: Double, y: Double, width: Double, height: Double,
                       _ pairs: KeyValuePairs<String, Value> = [:]) {
        body += "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(max(0, width)))\" "
            + "height=\"\(number(max(0, height)))\"\(attributes(pairs))/>\n"
    }

    /// Appends a `<line>` from (x1, y1) to (x2, y2).
    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, _ pairs: KeyValuePairs<String, Value> = [:]) {
        body += "<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\""
            + "\(attributes(pairs))/>\n"
    }

    /// Path data of straight segments through `points`, each subpath closed when `closed`
    /// (`M x,y L x,y ... Z`); empty subpaths are skipped.
    func pathData(_ subpaths: [[(x: Double, y: Double)]], closed: Bool) -> String {
        var d = ""
        for points in subpaths where !points.isEmpty {
            for (i, point) in points.enumerated() {
                d += (i == 0 ? (d.isEmpty ? "M" : " M") : " L") + "\(number(point.x)),\(number(point.y))"
            }
            if closed { d += " Z" }
        }
        return d
    }

    /// Opens a `<g>` group; close it with ``close()``.
    mutating func open(_ pairs: KeyValuePairs<String, Value>) {
        body += "<g\(attributes(pairs))>\n"
        depth += 1
    }

    /// Closes the innermost open group.
    mutating func close() {
        guard depth > 0 else { return }
        body += "</g>\n"
        depth -= 1
    }

    /// Appends already formed SVG text (the caller escapes it); used for large generated paths.
    mutating func raw(_ markup: String) {
        body += markup
    }

    /// The whole document: XML declaration, `<svg>` root with `title`, and the body (open groups closed).
    func rendered(title: String) -> String {
        var closing = ""
        for _ in 0..<depth { closing += "</g>\n" }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(number(width))\" "
            + "height=\"\(number(height))\" viewBox=\"0 0 \(number(width)) \(number(height))\" "
            + "font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\">\n"
            + "<title>\(Self.escape(title))</title>\n" + body + closing + "</svg>\n"
    }
}
