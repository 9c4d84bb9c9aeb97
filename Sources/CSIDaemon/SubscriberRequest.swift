import CSIEvents
import Foundation

/// One request line a subscriber may send (JSON object):
/// `{"types": ["activity.started", ...], "streams": ["replay:x|00:..."]}` sets its filter;
/// `{"request": "status"}` asks for one `status` reply line; `{"request": "calibration.install" | "calibration.baseline" |
/// "calibration.reset", ...}` is a ``CalibrationRequest``.
enum SubscriberRequest: Equatable {
    /// Replace the filter.
    case filter(SubscriptionFilter)
    /// Reply with the daemon status.
    case status
    /// Apply a calibration request (reply sent when the pipeline has handled it).
    case calibration(CalibrationRequest)

    /// A malformed request; the message is sent back in an `error` line.
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses one line.
    static func parse(_ bytes: [UInt8]) throws -> SubscriberRequest {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw Invalid(description: "request is not valid JSON")
        }
        guard let fields = object as? [String: Any] else { throw Invalid(description: "request must be a JSON object") }
        if let request = fields["request"] {
            guard let name = request as? String, requestNames.contains(name) else {
                throw Invalid(description: "unknown request (one of \(requestNames.map { "\"\($0)\"" }.joined(separator: ", ")))")
            }
            if name == "status" { return .status }
            return .calibration(try parseCalibration(name, fields: fields))
        }
        for key in fields.keys where key != "types" && key != "streams" {
            throw Invalid(description: "unknown key \"\(key)\" (expected types, streams or request)")
        }
        var filter = SubscriptionFilter()
        if let types = fields["types"] {
            guard let names = types as? [String] else { throw Invalid(description: "types must be an array of strings") }
            var set = Set<EventType>()
            for name in names {
                guard let type = EventType(rawValue: name) else { throw Invalid(description: "unknown event type \"\(name)\"") }
                set.insert(type)
            }
            filter.types = set
        }
        if let streams = fields["streams"] {
            guard let names = streams as? [String] else { throw Invalid(description: "streams must be an array of strings") }
            filter.streams = Set(names)
        }
        return .filter(filter)
    }

    /// An `{"type":"error","message":...}` reply line.
    static func errorLine(_ message: String) -> [UInt8] {
        let data = (try? JSONLine.data(["type": "error", "message": message])) ?? Data()
        return Array(data) + [UInt8(ascii: "\n")]
    }
}
