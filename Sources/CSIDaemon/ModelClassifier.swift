import CSIFeatures
import CSIInference
import Foundation

/// A model file run by the engine (`CSIModel` + `InferenceSession`) as a ``WindowClassifier``: raw windows are
/// normalised in place with the model's frozen constants, then classified in one batch.
///
/// As a ``StreamingWindowClassifier`` it keeps each stream's steps in the engine's `StreamingSession`, so the
/// daemon never copies windows and each step's first-layer projection is computed once.
public final class ModelClassifier: StreamingWindowClassifier {
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
    /// The input transform the model declares.
    public let transform: FeatureTransform
    /// `name (architecture, file)`.
    public var name: String { "\(model.config.name) (\(model.config.architecture.rawValue), \(path))" }

    private let normalizer: Normalizer
    private var session: InferenceSession
    private let streaming: StreamingSession
    private let step: UnsafeMutablePointer<Float>           // (features) one normalised step
    /// Steps that may arrive after a window's end before it must be classified.
    public var slack: Int { streaming.slack }
    /// The feature transforms the daemon's feature code produces (CSIFeatures).
    public static let supportedTransforms: Set<String> = Set(FeatureTransform.supportedNames)

    /// Loads `path`; a bad file or an input spec the daemon cannot feed throws a ``ClassifierError`` naming the
    /// file and field.
    public init(path: String, maxBatch: Int = 64, slack: Int? = nil) throws {
        do {
            model = try CSIModel.load(path: path)
        } catch {
            throw ClassifierError(error.description)
        }
        self.path = path
        let config = model.config
        let normalization = try Self.normalization(of: config, path: path)
        transform = try Self.transform(of: config, path: path)
        do {
            normalizer = try Normalizer(normalization, features: config.features)
        } catch {
            throw ClassifierError("\(path): \(error)")
        }
        session = InferenceSession(model: model, maxBatch: max(1, maxBatch))
        // A per-window normalisation (window-centered) cannot be applied step by step: the ring keeps raw steps.
        let normalizer = self.normalizer
        streaming = StreamingSession(model: model, maxBatch: max(1, maxBatch), slack: slack ?? max(1, config.steps / 2),
                                     windowTransform: normalizer.normalizesSteps ? nil : { normalizer.apply($0) })
        step = .allocate(capacity: config.features)
        step.initialize(repeating: 0, count: config.features)
    }

    deinit {
        step.deallocate()
    }

    /// Checks that the daemon's feature code can feed `config` (transform and feature count) and returns its
    /// frozen input normalisation; throws a ``ClassifierError`` naming `path` and the field otherwise.
    public static func normalization(of config: ModelConfig, path: String) throws -> Normalization {
        guard supportedTransforms.contains(config.transform) else {
            throw ClassifierError("\(path): input.transform: '\(config.transform)' is not produced by this daemon "
                + "(supported: \(supportedTransforms.sorted().joined(separator: ", ")))")
        }
        let transform = try Self.transform(of: config, path: path)
        guard config.features == transform.featureCount else {
            throw ClassifierError("\(path): input.features: \(config.features); the daemon's \(transform) "
                + "gives \(transform.featureCount) features per step")
        }
        guard !config.normalizationJSON.isEmpty else { return .none }
        guard let object = try? JSONSerialization.jsonObject(with: Data(config.normalizationJSON.utf8)),
              let dictionary = object as? [String: Any] else {
            throw ClassifierError("\(path): input.normalization: not a JSON object")
        }
        do {
            return try Normalization(json: dictionary)
        } catch {
            throw ClassifierError("\(path): \(error)")
        }
    }

    /// The input transform of `config` (`input.transform`, `input.layout`, `input.doppler`, checked against
    /// `input.features` and `input.sample_rate_hz`); throws a ``ClassifierError`` naming `path` and the field.
    public static func transform(of config: ModelConfig, path: String) throws -> FeatureTransform {
        guard let object = try? JSONSerialization.jsonObject(with: Data(config.json.utf8)) as? [String: Any],
              let input = object["input"] as? [String: Any] else {
            throw ClassifierError("\(path): input: missing or not an object")
        }
        do {
            return try FeatureTransform(input: input)
        } catch {
            throw ClassifierError("\(path): \(error)")
        }
    }

    /// Opens a stream in the streaming session.
    public func openStream() -> Int { streaming.openStream() }

    /// Closes a stream.
    public func closeStream(_ slot: Int) { streaming.closeStream(slot) }

    /// Normalises one raw step and appends it to the stream (a per-window normalisation is applied per window).
    public func append(step raw: UnsafeBufferPointer<Float>, to slot: Int) {
        let features = model.config.features
        guard let source = raw.baseAddress, raw.count >= features else { return }
        step.update(from: source, count: features)
        if normalizer.normalizesSteps {
            normalizer.apply(UnsafeMutableBufferPointer(start: step, count: features))
        }
        streaming.append(steps: step, count: 1, to: slot)
    }

    /// The end position of a window ending now.
    public func position(of slot: Int) -> Int { streaming.position(of: slot) }

    /// Probabilities of the windows ending at `ends` of `slots`.
    public func classify(slots: UnsafeBufferPointer<Int>, ends: UnsafeBufferPointer<Int>,
                         into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        guard streaming.probabilities(slots: slots, ends: ends, into: probabilities) else {
            throw ClassifierError("\(path): a window was overwritten before it was classified "
                + "(more than \(streaming.slack) steps arrived after its end)")
        }
    }

    /// Normalises `windows` (batch, steps, features) in place and writes class probabilities (batch, classes).
    public func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                         into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        let config = model.config
        guard windows.count >= batch * config.steps * config.features, probabilities.count >= batch * config.classes
        else {
            throw ClassifierError("\(path): classify: buffers too small for a batch of \(batch)")
        }
        normalizer.apply(windows: UnsafeMutableBufferPointer(rebasing: windows[0..<(batch * config.steps * config.features)]),
                         steps: config.steps)
        session.probabilities(windows: UnsafeBufferPointer(windows), batch: batch, into: probabilities)
    }
}
