import CSIFeatures
import CSIInference
import Foundation

extension SubscriberRequest {
    /// The `request` values understood.
    static let requestNames = ["status", "calibration.install", "calibration.baseline", "calibration.reset"]

    /// Parses a `calibration.*` request object (`name` is its `request` value); throws ``Invalid`` naming the field.
    static func parseCalibration(_ name: String, fields: [String: Any]) throws -> CalibrationRequest {
        let allowed: Set<String>
        switch name {
        case "calibration.install": allowed = ["request", "stream", "head"]
        case "calibration.baseline": allowed = ["request", "stream", "seconds"]
        default: allowed = ["request", "stream", "part"]
        }
        for key in fields.keys.sorted() where !allowed.contains(key) {
            throw Invalid(description: "\(name): unknown key \"\(key)\" (expected \(allowed.sorted().joined(separator: ", ")))")
        }
        guard let stream = fields["stream"] as? String, !stream.isEmpty else {
            throw Invalid(description: "\(name): stream must be a non-empty string (a stream key, as in status)")
        }
        switch name {
        case "calibration.install":
            guard let head = fields["head"] else {
                throw Invalid(description: "\(name): head is missing (the HeadCalibration JSON object)")
            }
            guard JSONSerialization.isValidJSONObject(head), head is [String: Any],
                  let data = try? JSONSerialization.data(withJSONObject: head) else {
                throw Invalid(description: "\(name): head must be a JSON object (a HeadCalibration file's content)")
            }
            do {
                return .install(stream: stream, head: try HeadCalibration.parse(data: data, source: "head"))
            } catch {
                throw Invalid(description: "\(name): \(error)")
            }
        case "calibration.baseline":
            var seconds = 20.0
            if let value = fields["seconds"] {
                guard let number = JSONNumber.finite(value) else {
                    throw Invalid(description: "\(name): seconds must be a number")
                }
                seconds = number
            }
            let range = CalibrationRequest.baselineSeconds
            guard range.contains(seconds) else {
                throw Invalid(description: "\(name): seconds must be within \(Int(range.lowerBound))...\(Int(range.upperBound)), not \(seconds)")
            }
            return .baseline(stream: stream, seconds: seconds)
        default:
            var part = CalibrationPart.all
            if let value = fields["part"] {
                guard let text = value as? String, let parsed = CalibrationPart(rawValue: text) else {
                    throw Invalid(description: "\(name): part must be \"head\", \"baseline\" or \"all\"")
                }
                part = parsed
            }
            return .reset(stream: stream, part: part)
        }
    }
}
