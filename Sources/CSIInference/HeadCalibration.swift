import Foundation

/// A calibration file that cannot be used: names the file, the field at fault, and why.
public struct HeadCalibrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The JSON field (`weight`, `model_sha256`, ...) or `file` / `json`.
    public var field: String
    /// What is wrong with it.
    public var reason: String

    public init(path: String, field: String, reason: String) {
        self.path = path
        self.field = field
        self.reason = reason
    }

    /// `path: field: reason`.
    public var description: String { "\(path): \(field): \(reason)" }
}

/// A calibrated classifier head stored as JSON (docs/calibration.md), for one exact model file:
///
///     {"format": 1, "model": "wiar-gru", "model_sha256": "6a0f…", "classes": ["…", …], "embedding": 64,
///      "weight": [classes x embedding floats, row-major], "bias": [classes floats],
///      "created": "2025-01-01T00:00:00Z", "windows": 96, "per_class_windows": {"walk": 6, …}}
///
/// ``load(path:)`` checks the file by itself (format, types, shapes, finiteness); ``validate(for:modelSHA256:path:)``
/// checks it against a loaded model (name, digest, class labels, embedding size). ``save(path:)`` writes a temporary
/// file next to the target and renames it, so a reader never sees half a file.
public struct HeadCalibration: Sendable, Equatable {
    /// The only format written and read.
    public static let format = 1

    /// The model's config name.
    public var model: String
    /// SHA-256 (hex) of the model file the head was fitted for.
    public var modelSHA256: String
    /// Class labels in model order.
    public var classes: [String]
    /// Embedding size E.
    public var embedding: Int
    /// W, (classes, embedding) row-major.
    public var weight: [Float]
    /// b, (classes).
    public var bias: [Float]
    /// ISO 8601 creation time.
    public var created: String
    /// Calibration windows used.
    public var windows: Int
    /// Calibration windows per class label (present classes only).
    public var perClassWindows: [String: Int]

    public init(model: String, modelSHA256: String, classes: [String], head: ClassifierHead, windows: Int,
                perClassWindows: [String: Int], created: Date = Date()) {
        self.model = model
        self.modelSHA256 = modelSHA256
        self.classes = classes
        embedding = head.inputs
        weight = head.weight
        bias = head.bias
        self.created = ISO8601DateFormatter().string(from: created)
        self.windows = windows
        self.perClassWindows = perClassWindows
    }

    /// A calibration of `model` (file digest `modelSHA256`) from an adaptation result.
    public init(model: CSIModel, modelSHA256: String, result: ClassifierHeadAdapter.Result, created: Date = Date()) {
        var perClass: [String: Int] = [:]
        for (c, count) in result.perClassWindows.enumerated() where count > 0 { perClass[model.config.labels[c]] = count }
        self.init(model: model.config.name, modelSHA256: modelSHA256, classes: model.config.labels, head: result.head,
                  windows: result.perClassWindows.reduce(0, +), perClassWindows: perClass, created: created)
    }

    /// The head (shapes and values were checked when the file was read).
    public func head() throws(HeadAdaptationError) -> ClassifierHead {
        try ClassifierHead(weight: weight, bias: bias, classes: classes.count, inputs: embedding)
    }

    /// The JSON object written by ``save(path:)``.
    public var jsonObject: [String: Any] {
        ["format": Self.format, "model": model, "model_sha256": modelSHA256, "classes": classes,
         "embedding": embedding, "weight": weight.map(Double.init), "bias": bias.map(Double.init),
         "created": created, "windows": windows, "per_class_windows": perClassWindows]
    }

    /// Writes the file: `<path>.tmp-<pid>` then rename over `path`.
    public func save(path: String) throws(HeadCalibrationError) {
        try Self.writeJSON(jsonObject, to: path)
    }

    /// Writes `object` as one line of JSON (sorted keys) to `<path>.tmp-<pid>` (with `permissions` when given), then
    /// renames it over `path`, so a reader never sees half a file; the one writer of calibration files.
    public static func writeJSON(_ object: [String: Any], to path: String,
                                 permissions: Int? = nil) throws(HeadCalibrationError) {
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        } catch {
            throw HeadCalibrationError(path: path, field: "json", reason: "cannot encode: \(error)")
        }
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data + Data("\n".utf8),
                                             attributes: permissions.map { [.posixPermissions: $0] }) else {
            throw HeadCalibrationError(path: path, field: "file", reason: "cannot write \(temporary)")
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HeadCalibrationError(path: path, field: "file", reason: "cannot rename \(temporary): \(reason)")
        }
    }

    /// Reads and checks a file by itself (not yet against a model).
    public static func load(path: String) throws(HeadCalibrationError) -> HeadCalibration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HeadCalibrationError(path: path, field: "file", reason: "cannot be read")
        }
        return try parse(data: data, source: path)
    }

    /// Reads `path` and checks it against `model` whose file is `modelPath`; the head to run.
    public static func load(path: String, for model: CSIModel, modelPath: String) throws(HeadCalibrationError)
        -> ClassifierHead {
        let calibration = try load(path: path)
        guard let digest = SHA256Digest.hex(fileAt: modelPath) else {
            throw HeadCalibrationError(path: path, field: "model_sha256", reason: "model file \(modelPath) cannot be read")
        }
        try calibration.validate(for: model, modelSHA256: digest, path: path)
        do {
            return try calibration.head()
        } catch {
            throw HeadCalibrationError(path: path, field: "weight", reason: error.description)
        }
    }

    /// Parses the JSON text of a file; `source` names it in errors.
    public static func parse(data: Data, source: String) throws(HeadCalibrationError) -> HeadCalibration {
        func fail(_ field: String, _ reason: String) -> HeadCalibrationError {
            HeadCalibrationError(path: source, field: field, reason: reason)
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw fail("json", "not valid JSON (\(error.localizedDescription))")
        }
        guard let object = parsed as? [String: Any] else { throw fail("json", "is not a JSON object") }
        func integer(_ key: String) throws(HeadCalibrationError) -> Int {
            guard let number = object[key] as? NSNumber,
                  let value = Int(exactly: number.doubleValue) else {
                throw fail(key, object[key] == nil ? "is missing" : "is not an integer")
            }
            return value
        }
        func string(_ key: String) throws(HeadCalibrationError) -> String {
            guard let value = object[key] as? String else {
                throw fail(key, object[key] == nil ? "is missing" : "is not a string")
            }
            return value
        }
        func floats(_ key: String, count: Int) throws(HeadCalibrationError) -> [Float] {
            guard let array = object[key] as? [Any] else {
                throw fail(key, object[key] == nil ? "is missing" : "is not an array")
            }
            guard array.count == count else { throw fail(key, "has \(array.count) values, expected \(count)") }
            var values: [Float] = []
            values.reserveCapacity(count)
            for (i, item) in array.enumerated() {
                guard let number = item as? NSNumber else { throw fail(key, "value \(i) is not a number") }
                let value = Float(number.doubleValue)
                guard value.isFinite else { throw fail(key, "value \(i) is \(number.doubleValue): not finite") }
                values.append(value)
            }
            return values
        }
        let format = try integer("format")
        guard format == Self.format else { throw fail("format", "is \(format); this csihar reads format \(Self.format)") }
        let model = try string("model")
        let digest = try string("model_sha256")
        guard digest.count == 64, digest.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw fail("model_sha256", "is not 64 lowercase hex digits")
        }
        guard let classes = object["classes"] as? [String] else {
            throw fail("classes", object["classes"] == nil ? "is missing" : "is not an array of strings")
        }
        guard classes.count >= 2, classes.count <= 1024 else { throw fail("classes", "has \(classes.count) labels; 2...1024 expected") }
        let embedding = try integer("embedding")
        guard embedding >= 1, embedding <= 65536 else { throw fail("embedding", "is \(embedding); 1...65536 expected") }
        let weight = try floats("weight", count: classes.count * embedding)
        let bias = try floats("bias", count: classes.count)
        let created = try string("created")
        guard ISO8601DateFormatter().date(from: created) != nil else { throw fail("created", "is not an ISO 8601 time") }
        let windows = try integer("windows")
        guard windows >= 0 else { throw fail("windows", "is negative") }
        guard let perClass = object["per_class_windows"] as? [String: Any] else {
            throw fail("per_class_windows", object["per_class_windows"] == nil ? "is missing" : "is not an object")
        }
        var perClassWindows: [String: Int] = [:]
        for (label, value) in perClass {
            guard classes.contains(label) else { throw fail("per_class_windows", "\"\(label)\" is not one of classes") }
            guard let number = value as? NSNumber, let count = Int(exactly: number.doubleValue),
                  count >= 0 else { throw fail("per_class_windows", "\"\(label)\" is not a count") }
            perClassWindows[label] = count
        }
        var calibration = HeadCalibration(model: model, modelSHA256: digest, classes: classes,
                                          head: ClassifierHead(layer: LinearLayer(inputs: embedding, outputs: classes.count,
                                                                                  weight: weight, bias: bias)),
                                          windows: windows, perClassWindows: perClassWindows)
        calibration.created = created
        return calibration
    }

    /// Checks that this head belongs to `model` (config name, file digest, labels, embedding size).
    public func validate(for model: CSIModel, modelSHA256: String, path: String) throws(HeadCalibrationError) {
        func fail(_ field: String, _ reason: String) -> HeadCalibrationError {
            HeadCalibrationError(path: path, field: field, reason: reason)
        }
        guard self.model == model.config.name else {
            throw fail("model", "is \"\(self.model)\"; the loaded model is \"\(model.config.name)\"")
        }
        guard self.modelSHA256 == modelSHA256 else {
            throw fail("model_sha256", "is \(self.modelSHA256.prefix(16))...; the model file is \(modelSHA256.prefix(16))... "
                       + "(the model was changed or retrained: calibrate again)")
        }
        guard classes == model.config.labels else {
            throw fail("classes", "are \(classes); the model's labels are \(model.config.labels)")
        }
        guard embedding == model.embeddingSize else {
            throw fail("embedding", "is \(embedding); the model's classifier reads \(model.embeddingSize) values")
        }
    }
}
