import CSIEvents
import CSIFeatures
import Foundation

/// Smoother values a model file declares for its own probabilities (the optional top-level `smoother` object of its
/// config, docs/model-format.md): thresholds chosen on the model's validation recordings, applied to every stream
/// the model classifies unless the configuration's `[smoother]` table sets the same key (a key set there wins).
///
/// Only the settings that depend on how a model's probabilities behave can be declared (``keys``): how long they
/// are averaged and how sure and how long a class must lead (activities), and the fall thresholds (a 1-chain
/// model's fall class is noisier, so it needs a higher peak before a fall is reported).
public struct ModelSmootherDefaults: Sendable, Equatable, CustomStringConvertible {
    /// Declared values by `[smoother]` key.
    public private(set) var values: [String: Double] = [:]

    /// The keys a model may declare, as in `[smoother]`.
    public static let keys = ["averaging_seconds", "enter_confidence", "exit_confidence", "minimum_seconds", "exit_seconds",
                              "fall_confidence", "fall_peak_confidence"]

    /// Declares `values` (keys of ``keys``; others are ignored).
    public init(_ values: [String: Double] = [:]) {
        self.values = values.filter { Self.keys.contains($0.key) }
    }

    /// Reads the `smoother` object of a model config (`json`, the whole config; absent: nothing declared) for a model
    /// with `labels`. A key other than ``keys``, a value that is not a number, or values the smoother refuses
    /// (``SmootherConfig/validate()`` over the defaults, e.g. `exit_confidence` above `enter_confidence`) throw a
    /// ``ClassifierError`` naming `path` and the field.
    public init(configJSON json: String, labels: [String], path: String) throws {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let value = root["smoother"] else { return }
        guard let object = value as? [String: Any] else {
            throw ClassifierError("\(path): smoother: must be an object of \(Self.keys.joined(separator: ", "))")
        }
        for (key, item) in object.sorted(by: { $0.key < $1.key }) {
            guard Self.keys.contains(key) else {
                throw ClassifierError("\(path): smoother.\(key): not a setting a model may declare (\(Self.keys.joined(separator: ", ")))")
            }
            guard let number = JSONNumber.finite(item) else {
                throw ClassifierError("\(path): smoother.\(key): must be a number")
            }
            values[key] = number
        }
        do {
            try Self.set(values, on: SmootherConfig(labels: labels.isEmpty ? ["check"] : labels)).validate()
        } catch {
            throw ClassifierError("\(path): smoother.\(error.field): \(error.reason)")
        }
    }

    /// Whether the model declares nothing.
    public var isEmpty: Bool { values.isEmpty }

    /// `config` with the declared values, except the keys in `configured` (set by a config file's `[smoother]`).
    /// When the mix is not a valid smoother setting (a configured `exit_confidence` above a declared
    /// `enter_confidence`), `config` is returned unchanged: the configuration is what the user wrote.
    public func applied(to config: SmootherConfig, except configured: Set<String>) -> SmootherConfig {
        let mixed = Self.set(values.filter { !configured.contains($0.key) }, on: config)
        return (try? mixed.validate()) == nil ? config : mixed
    }

    /// `minimum_seconds=1 fall_peak_confidence=0.99` for logs ("" when empty).
    public var description: String {
        Self.keys.compactMap { key in values[key].map { "\(key)=\($0)" } }.joined(separator: " ")
    }

    /// `config` with `values` set.
    private static func set(_ values: [String: Double], on config: SmootherConfig) -> SmootherConfig {
        var config = config
        for (key, value) in values {
            switch key {
            case "averaging_seconds": config.averagingSeconds = value
            case "enter_confidence": config.enterConfidence = value
            case "exit_confidence": config.exitConfidence = value
            case "minimum_seconds": config.minimumSeconds = value
            case "exit_seconds": config.exitSeconds = value
            case "fall_confidence": config.fallConfidence = value
            case "fall_peak_confidence": config.fallPeakConfidence = value
            default: break
            }
        }
        return config
    }
}
