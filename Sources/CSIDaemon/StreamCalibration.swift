import CSIInference
import Foundation

/// One stream's calibration file (`<state dir>/calibration/<escaped stream key>.json`): a few-shot head and/or an
/// empty-room baseline, for one exact model file.
///
///     {"format": 1, "stream": KEY, "model": NAME, "model_sha256": HEX, "created": ISO8601,
///      "head": {HeadCalibration object} | null, "baseline": {RoomBaseline object} | null}
///
/// `created` is when the file was last written; each part keeps its own `created`.
public struct StreamCalibration: Sendable, Equatable {
    /// The only format written and read.
    public static let format = 1
    /// The stream key.
    public var stream: String
    /// The model's config name and the SHA-256 of its file.
    public var model: String, modelSHA256: String
    /// When the file was last written (ISO 8601).
    public var created: String
    /// The few-shot head, if installed.
    public var head: HeadCalibration?
    /// The empty-room baseline, if recorded.
    public var baseline: RoomBaseline?

    /// Creates a calibration record.
    public init(stream: String, model: String, modelSHA256: String, created: String = ISO8601DateFormatter().string(from: Date()),
                head: HeadCalibration? = nil, baseline: RoomBaseline? = nil) {
        self.stream = stream
        self.model = model
        self.modelSHA256 = modelSHA256
        self.created = created
        self.head = head
        self.baseline = baseline
    }

    /// True when neither part is present (the file is then deleted).
    public var isEmpty: Bool { head == nil && baseline == nil }

    /// The JSON object written to the file.
    public var jsonObject: [String: Any] {
        ["format": Self.format, "stream": stream, "model": model, "model_sha256": modelSHA256, "created": created,
         "head": head?.jsonObject ?? NSNull(), "baseline": baseline?.jsonObject ?? NSNull()]
    }

    /// The `status` summary: `{"head": Bool, "baseline": Bool, "created": ISO8601}`.
    public var summary: [String: Any] { ["head": head != nil, "baseline": baseline != nil, "created": created] }

    /// Parses a file's bytes and checks it against the serving model: `stream`, `modelName`, `modelSHA256` (the
    /// loaded model file's digest), the head's shapes (`model`) and the baseline's feature count. Every failure is a
    /// ``HeadCalibrationError`` naming `path` and the field.
    public static func parse(data: Data, path: String, stream: String, model: CSIModel,
                             modelSHA256: String) throws(HeadCalibrationError) -> StreamCalibration {
        func fail(_ field: String, _ reason: String) -> HeadCalibrationError {
            HeadCalibrationError(path: path, field: field, reason: reason)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail("json", "not a JSON object (corrupt file)")
        }
        guard let format = object["format"] as? Int, format == Self.format else {
            throw fail("format", "is \(object["format"].map { "\($0)" } ?? "missing"); this csihard reads format \(Self.format)")
        }
        guard let key = object["stream"] as? String, key == stream else {
            throw fail("stream", "is \(object["stream"].map { "\"\($0)\"" } ?? "missing"), not this stream \"\(stream)\"")
        }
        guard let name = object["model"] as? String, let digest = object["model_sha256"] as? String,
              let created = object["created"] as? String else {
            throw fail("model", "model, model_sha256 and created must be strings")
        }
        guard digest == modelSHA256 else {
            throw fail("model_sha256", "is \(digest.prefix(16))...; the loaded model file is \(modelSHA256.prefix(16))... "
                       + "(made for another model: calibrate again)")
        }
        var calibration = StreamCalibration(stream: stream, model: name, modelSHA256: digest, created: created)
        if let head = object["head"], !(head is NSNull) {
            guard JSONSerialization.isValidJSONObject(head), let headData = try? JSONSerialization.data(withJSONObject: head) else {
                throw fail("head", "is not an object")
            }
            let parsed = try HeadCalibration.parse(data: headData, source: path + ": head")
            try parsed.validate(for: model, modelSHA256: modelSHA256, path: path + ": head")
            calibration.head = parsed
        }
        if let baseline = object["baseline"], !(baseline is NSNull) {
            do {
                calibration.baseline = try RoomBaseline.parse(baseline, features: model.config.features, fail: fail)
            } catch let error as HeadCalibrationError {
                throw error
            } catch {
                throw fail("baseline", "\(error)")
            }
        }
        guard !calibration.isEmpty else { throw fail("head", "neither head nor baseline is present") }
        return calibration
    }
}
