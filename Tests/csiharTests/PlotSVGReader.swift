import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An SVG file read back with Foundation's XMLParser for the plot tests: every element with its attributes and the
/// ids of the groups around it; `wellFormed` is false (with the parser's error) when the XML is not.
final class PlotSVGReader: NSObject, XMLParserDelegate {
    /// One element.
    struct Element {
        /// Tag name (`rect`, `path`, `g`, ...).
        var name: String
        /// Its attributes.
        var attributes: [String: String]
        /// Ids of the enclosing elements, outermost first.
        var ancestors: [String]
        /// Character data directly inside it (text elements).
        var text = ""

        /// A numeric attribute.
        func number(_ key: String) -> Double? { attributes[key].flatMap(Double.init) }
        /// Whether its `class` holds `name`.
        func hasClass(_ name: String) -> Bool {
            (attributes["class"] ?? "").split(separator: " ").contains(Substring(name))
        }
    }

    /// Every element in document order.
    private(set) var elements: [Element] = []
    /// Whether the parser reached the end without an error, and its error otherwise.
    private(set) var wellFormed = false, error: String?
    private var stack: [Int] = []

    /// Parses `data`.
    init(data: Data) {
        super.init()
        let parser = XMLParser(data: data)
        parser.delegate = self
        wellFormed = parser.parse()
        if !wellFormed { error = parser.parserError.map { "\($0)" } ?? "unknown XML error" }
    }

    /// The element with id `id`.
    func element(id: String) -> Element? { elements.first { $0.attributes["id"] == id } }

    /// The elements inside the element with id `id`.
    func elements(inside id: String) -> [Element] { elements.filter { $0.ancestors.contains(id) } }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let ancestors = stack.compactMap { elements[$0].attributes["id"] }
        elements.append(Element(name: name, attributes: attributes, ancestors: ancestors))
        stack.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let last = stack.last { elements[last].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        _ = stack.popLast()
    }

    /// The subpaths of path data made of `M x,y` / `L x,y` / `Z` commands (as ``drawProbabilities`` writes them).
    static func polygons(_ d: String) -> [[(x: Double, y: Double)]] {
        var subpaths: [[(x: Double, y: Double)]] = []
        for token in d.split(separator: " ") {
            guard let command = token.first else { continue }
            if command == "Z" { continue }
            let pair = token.dropFirst().split(separator: ",").compactMap { Double($0) }
            guard pair.count == 2 else { continue }
            if command == "M" { subpaths.append([]) }
            subpaths[subpaths.count - 1].append((pair[0], pair[1]))
        }
        return subpaths
    }

    /// The width, height and RGB bytes of a binary PPM (`P6`, maxval 255), or nil.
    static func decodePPM(_ data: Data) -> (width: Int, height: Int, rgb: [UInt8])? {
        let bytes = [UInt8](data)
        var fields: [String] = [], index = 0, current = ""
        while fields.count < 4 && index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "#") {
                while index < bytes.count && bytes[index] != 10 { index += 1 }
            } else if byte == 32 || byte == 10 || byte == 9 || byte == 13 {
                if !current.isEmpty { fields.append(current); current = "" }
            } else {
                current.append(Character(UnicodeScalar(byte)))
            }
        }
        guard fields.count == 4, fields[0] == "P6", let width = Int(fields[1]), let height = Int(fields[2]),
              fields[3] == "255", bytes.count - index >= width * height * 3 else { return nil }
        return (width, height, Array(bytes[index..<(index + width * height * 3)]))
    }
}
