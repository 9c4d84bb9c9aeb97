import Foundation

/// The one JSON encoding of the CLI's machine-readable output (`--json`, request lines): keys sorted, `/` not
/// escaped (paths print as `samples/x.dat`, not `samples\/x.dat`), one line.
enum JSONLine {
    /// `object` (JSONSerialization types) as UTF-8 JSON.
    static func data(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// `object` as a JSON string.
    static func string(_ object: Any) throws -> String {
        String(decoding: try data(object), as: UTF8.self)
    }
}
