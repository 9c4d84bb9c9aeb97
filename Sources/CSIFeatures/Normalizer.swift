/// The normalisation of a model's input spec (docs/model-format.md `input.normalization`).
public enum Normalization: Sendable, Equatable {
    /// No normalisation.
    case none
    /// `(x - min) / (max - min)` with one scalar pair for every feature (SenseFi UT-HAR).
    case minmax(min: Float, max: Float)
    /// `(x - mean[f]) / std[f]` per feature.
    case standard(mean: [Float], std: [Float])
    /// `(x[t, f] - mean_t x[., f]) / std[f]`: each feature's mean over the window's steps is removed (the room's
    /// static multipath level), then it is scaled per feature. Depends on the whole window, so it cannot be
    /// applied one step at a time (``Normalizer/normalizesSteps`` is false).
    case windowCentered(std: [Float])
}

/// A bad normalisation spec; names the field.
public struct NormalizationError: Error, Sendable, CustomStringConvertible {
    /// The field at fault, e.g. `input.normalization.std`.
    public var field: String
    /// Why it is invalid.
    public var reason: String
    /// `field: reason`.
    public var description: String { "\(field): \(reason)" }
}

/// Applies a ``Normalization`` in place to steps or windows of `features` floats.
public struct Normalizer: Sendable {
    /// The normalisation.
    public let normalization: Normalization
    /// Features per step.
    public let features: Int
    /// Whether each step can be normalised on its own (every kind but ``Normalization/windowCentered(std:)``).
    public var normalizesSteps: Bool {
        if case .windowCentered = normalization { return false }
        return true
    }
    /// Per-feature offset, (features,): x' = (x - offset[f]) * gain[f] (window-centred: the window mean instead).
    private let offset: [Float]
    /// Per-feature gain, (features,).
    private let gain: [Float]

    /// Creates a normaliser, checking the spec against `features`.
    public init(_ normalization: Normalization, features: Int) throws(NormalizationError) {
        self.normalization = normalization
        self.features = features
        switch normalization {
        case .none:
            offset = [Float](repeating: 0, count: features)
            gain = [Float](repeating: 1, count: features)
        case let .minmax(low, high):
            guard low.isFinite, high.isFinite, high > low else {
                throw NormalizationError(field: "input.normalization.max", reason: "max (\(high)) must exceed min (\(low))")
            }
            offset = [Float](repeating: low, count: features)
            gain = [Float](repeating: 1 / (high - low), count: features)
        case let .standard(mean, std):
            guard mean.count == features else {
                throw NormalizationError(field: "input.normalization.mean", reason: "\(mean.count) values, need \(features)")
            }
            guard std.count == features else {
                throw NormalizationError(field: "input.normalization.std", reason: "\(std.count) values, need \(features)")
            }
            if let bad = std.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
                throw NormalizationError(field: "input.normalization.std", reason: "value \(bad) is \(std[bad]), must be > 0")
            }
            if let bad = mean.firstIndex(where: { !$0.isFinite }) {
                throw NormalizationError(field: "input.normalization.mean", reason: "value \(bad) is not finite")
            }
            offset = mean
            gain = std.map { 1 / $0 }
        case let .windowCentered(std):
            guard std.count == features else {
                throw NormalizationError(field: "input.normalization.std", reason: "\(std.count) values, need \(features)")
            }
            if let bad = std.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
                throw NormalizationError(field: "input.normalization.std", reason: "value \(bad) is \(std[bad]), must be > 0")
            }
            offset = [Float](repeating: 0, count: features)
            gain = std.map { 1 / $0 }
        }
    }

    /// Normalises `values` in place; its length must be a multiple of `features` ((steps, features) row-major).
    /// A window-centred normalisation treats `values` as one window (use ``apply(windows:steps:)`` for a batch).
    public func apply(_ values: UnsafeMutableBufferPointer<Float>) {
        precondition(values.count % features == 0, "Normalizer: length is not a multiple of \(features)")
        if !normalizesSteps {
            centre(values)
        }
        var i = 0
        while i < values.count {
            for f in 0..<features { values[i + f] = (values[i + f] - offset[f]) * gain[f] }
            i += features
        }
    }

    /// Normalises a batch of windows (batch, steps, features) in place, each window on its own; its length must
    /// be a multiple of `steps * features`.
    public func apply(windows values: UnsafeMutableBufferPointer<Float>, steps: Int) {
        let size = max(1, steps) * features
        precondition(values.count % size == 0, "Normalizer: length is not a multiple of \(steps) x \(features)")
        var start = 0
        while start < values.count {
            apply(UnsafeMutableBufferPointer(rebasing: values[start..<(start + size)]))
            start += size
        }
    }

    /// Subtracts each feature's mean over the steps of `values` (one window), the mean summed in Double.
    private func centre(_ values: UnsafeMutableBufferPointer<Float>) {
        let features = self.features
        let steps = values.count / features
        guard steps > 0 else { return }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: features) { sums in
            sums.initialize(repeating: 0)
            var i = 0
            while i < values.count {
                for f in 0..<features { sums[f] += Double(values[i + f]) }
                i += features
            }
            for f in 0..<features { sums[f] = Double(Float(sums[f] / Double(steps))) }
            i = 0
            while i < values.count {
                for f in 0..<features { values[i + f] -= Float(sums[f]) }
                i += features
            }
        }
    }
}

extension Normalization {
    /// Parses a model config's `input.normalization` object (docs/model-format.md):
    /// `{"kind": "minmax", "min": m, "max": M}`, `{"kind": "standard", "mean": [...], "std": [...]}` or
    /// `{"kind": "window-centered", "std": [...]}` or `{"kind": "none"}`. Errors name the field.
    public init(json: [String: Any]) throws(NormalizationError) {
        func number(_ key: String) throws(NormalizationError) -> Float {
            guard let value = json[key] as? Double ?? (json[key] as? Int).map(Double.init) else {
                throw NormalizationError(field: "input.normalization.\(key)", reason: "missing or not a number")
            }
            return Float(value)
        }
        func numbers(_ key: String) throws(NormalizationError) -> [Float] {
            guard let array = json[key] as? [Any] else {
                throw NormalizationError(field: "input.normalization.\(key)", reason: "missing or not an array")
            }
            var result: [Float] = []
            for (i, item) in array.enumerated() {
                guard let value = item as? Double ?? (item as? Int).map(Double.init) else {
                    throw NormalizationError(field: "input.normalization.\(key)[\(i)]", reason: "not a number")
                }
                result.append(Float(value))
            }
            return result
        }
        switch json["kind"] as? String {
        case "minmax": self = .minmax(min: try number("min"), max: try number("max"))
        case "standard": self = .standard(mean: try numbers("mean"), std: try numbers("std"))
        case "window-centered": self = .windowCentered(std: try numbers("std"))
        case "none": self = .none
        case let other:
            throw NormalizationError(field: "input.normalization.kind",
                                     reason: "\(other.map { "\"\($0)\"" } ?? "missing"); expected minmax, standard, "
                                        + "window-centered or none")
        }
    }
}
