import Foundation

/// The one JSON encoding of csihar's generic JSON (the CLI's `--json` output and request lines, csihard's `status`
/// reply, the MQTT bridge's state and discovery payloads): keys sorted, `/` not escaped (paths print as
/// `samples/x.dat`, not `samples\/x.dat`), one line. Events have their own streaming encoder (``NDJSONEncoder``).
public enum JSONLine {
    /// `object` (JSONSerialization types) as UTF-8 JSON.
    public static func data(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// `object` as a JSON string.
    public static func string(_ object: Any) throws -> String {
        String(decoding: try data(object), as: UTF8.self)
    }
}
