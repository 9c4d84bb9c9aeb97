import CSIEvents
import Foundation

/// Smoother values a model file declares for its own probabilities (the optional top-level `smoother` object of its
/// config, docs/model-format.md): thresholds chosen on the model's validation recordings, applied to every stream
/// the model classifies unless the configuration's `[smoother]` table sets the same key (a key set there wins).
///
/// Only the fall thresholds can be declared: they are the settings that depend on how sure a model is of its falls
/// (a 1-chain model's fall probability is noisier, so it needs a higher peak before a fall is reported).
public struct ModelSmootherDefaults: Sendable, Equatable {
    /// `smoother.fall_confidence`: averaged fall probability that makes a fall pending.
    public var fallConfidence: Double?
    /// `smoother.fall_peak_confidence`: fall probability (averaged over `averaging_seconds`) a pending fall must reach.
    public var fallPeakConfidence: Double?

    /// The keys a model may declare, as in `[smoother]`.
    public static let keys = ["fall_confidence", "fall_peak_confidence"]

    /// No declared values.
    public init(fallConfidence: Double? = nil, fallPeakConfidence: Double? = nil) {
        self.fallConfidence = fallConfidence
        self.fallPeakConfidence = fallPeakConfidence
    }

    /// Reads the `smoother` object of a model config (`json`, the whole config); absent: no values. A value that is
    /// not a number in 0...1, or a key other than ``keys``, throws a ``ClassifierError`` naming `path` and the field.
    public init(configJSON json: String, path: String) throws {
        self.init()
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let value = root["smoother"] else { return }
        guard let object = value as? [String: Any] else {
            throw ClassifierError("\(path): smoother: must be an object of \(Self.keys.joined(separator: ", "))")
        }
        for (key, item) in object.sorted(by: { $0.key < $1.key }) {
            guard Self.keys.contains(key) else {
                throw ClassifierError("\(path): smoother.\(key): not a setting a model may declare (\(Self.keys.joined(separator: ", ")))")
            }
            guard let number = item as? NSNumber, !(item is Bool), (0...1).contains(number.doubleValue) else {
                throw ClassifierError("\(path): smoother.\(key): must be a number in 0...1")
            }
            if key == "fall_confidence" { fallConfidence = number.doubleValue } else { fallPeakConfidence = number.doubleValue }
        }
    }

    /// Whether the model declares nothing.
    public var isEmpty: Bool { fallConfidence == nil && fallPeakConfidence == nil }

    /// `config` with the declared values, except the keys in `configured` (set by a config file's `[smoother]`).
    public func applied(to config: SmootherConfig, except configured: Set<String>) -> SmootherConfig {
        var config = config
        if let fallConfidence, !configured.contains("fall_confidence") { config.fallConfidence = fallConfidence }
        if let fallPeakConfidence, !configured.contains("fall_peak_confidence") { config.fallPeakConfidence = fallPeakConfidence }
        return config
    }

    /// `fall_peak_confidence=0.99` for logs ("" when empty).
    public var description: String {
        var parts: [String] = []
        if let fallConfidence { parts.append("fall_confidence=\(fallConfidence)") }
        if let fallPeakConfidence { parts.append("fall_peak_confidence=\(fallPeakConfidence)") }
        return parts.joined(separator: " ")
    }
}
