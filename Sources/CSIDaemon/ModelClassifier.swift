import CSIFeatures
import CSIInference
import Foundation

/// A model file run by the engine (`CSIModel` + `InferenceSession`) as a ``WindowClassifier``: raw windows are
/// normalised in place with the model's frozen constants, then classified in one batch.
public final class ModelClassifier: WindowClassifier {
    /// The loaded model.
    public let model: CSIModel
    /// The file it came from.
    public let path: String
    /// Class labels, in output order.
    public var labels: [String] { model.config.labels }
    /// Steps per window.
    public var steps: Int { model.config.steps }
    /// Features per step.
    public var features: Int { model.config.features }
    /// Model steps per second of capture time.
    public var sampleRateHz: Double { model.config.sampleRateHz }
    /// `name (architecture, file)`.
    public var name: String { "\(model.config.name) (\(model.config.architecture.rawValue), \(path))" }

    private let normalizer: Normalizer
    private var session: InferenceSession
    /// The feature transforms the daemon's feature code produces (CSIFeatures).
    public static let supportedTransforms: Set<String> = [FeatureLayout.transform]

    /// Loads `path`; a bad file or an input spec the daemon cannot feed throws a ``ClassifierError`` naming the
    /// file and field.
    public init(path: String, maxBatch: Int = 64) throws {
        do {
            model = try CSIModel.load(path: path)
        } catch {
            throw ClassifierError(error.description)
        }
        self.path = path
        let config = model.config
        guard Self.supportedTransforms.contains(config.transform) else {
            throw ClassifierError("\(path): input.transform: '\(config.transform)' is not produced by this daemon "
                + "(supported: \(Self.supportedTransforms.sorted().joined(separator: ", ")))")
        }
        guard config.features == FeatureLayout.features else {
            throw ClassifierError("\(path): input.features: \(config.features); the daemon's layout "
                + "\(config.layout) gives \(FeatureLayout.features) features per step")
        }
        var normalization = Normalization.none
        if !config.normalizationJSON.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(config.normalizationJSON.utf8)),
                  let dictionary = object as? [String: Any] else {
                throw ClassifierError("\(path): input.normalization: not a JSON object")
            }
            do {
                normalization = try Normalization(json: dictionary)
            } catch {
                throw ClassifierError("\(path): \(error)")
            }
        }
        do {
            normalizer = try Normalizer(normalization, features: config.features)
        } catch {
            throw ClassifierError("\(path): \(error)")
        }
        session = InferenceSession(model: model, maxBatch: max(1, maxBatch))
    }

    /// Normalises `windows` (batch, steps, features) in place and writes class probabilities (batch, classes).
    public func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                         into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        let config = model.config
        guard windows.count >= batch * config.steps * config.features, probabilities.count >= batch * config.classes
        else {
            throw ClassifierError("\(path): classify: buffers too small for a batch of \(batch)")
        }
        normalizer.apply(UnsafeMutableBufferPointer(rebasing: windows[0..<(batch * config.steps * config.features)]))
        session.probabilities(windows: UnsafeBufferPointer(windows), batch: batch, into: probabilities)
    }
}
