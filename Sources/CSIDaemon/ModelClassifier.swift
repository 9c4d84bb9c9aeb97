import CSIFeatures
import CSIInference
import Foundation

/// A model file run by the engine (`CSIModel` + `InferenceSession`) as a ``WindowClassifier``: raw windows are
/// normalised in place with the model's frozen constants, then classified in one batch.
///
/// As a ``StreamingWindowClassifier`` it keeps each stream's steps in the engine's `StreamingSession`, so the
/// daemon never copies windows and each step's first-layer projection is computed once.
///
/// As a ``CalibratableClassifier`` a stream may have its own head (applied to the embeddings of its windows; the
/// other streams' windows go through the unchanged `probabilities` path) and a per-feature step offset. The scratch
/// buffers for this are allocated once: classifying allocates nothing.
public final class ModelClassifier: CalibratableClassifier, EmbeddingClassifier {
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
    /// What the model needs from a stream (`input.transform`, `input.layout`, `input.min_rate_hz`).
    public let requirements: ModelRequirements
    /// The smoother values the model file declares (its config's `smoother` object).
    public let smootherDefaults: ModelSmootherDefaults
    /// `name (architecture, file)`.
    public var name: String { "\(model.config.name) (\(model.config.architecture.rawValue), \(path))" }

    /// The frozen input normalisation (`input.normalization`).
    public let normalization: Normalization
    private let normalizer: Normalizer
    private var session: InferenceSession
    private let streaming: StreamingSession
    private let step: UnsafeMutablePointer<Float>           // (features) one normalised step
    /// SHA-256 (hex) of the model file.
    public let modelSHA256: String
    /// The model's `input.idle_reference`, if declared.
    public let idleReference: [Float]?
    /// Most windows per classify call.
    private let maxBatch: Int
    /// The `slack` it was created with (nil: half a window).
    private let slackSetting: Int?
    /// Per slot: its calibrated head, and its step offsets (features).
    private var heads: [ClassifierHead?] = [], offsets: [[Float]?] = []
    /// Slots with a head of their own.
    private var calibratedSlots = 0
    /// Scratch for the calibrated windows of a batch: slots, ends and batch rows (at offset maxBatch), embeddings
    /// (maxBatch, E).
    private let groupSlots: UnsafeMutablePointer<Int>, groupEnds: UnsafeMutablePointer<Int>, groupRows: UnsafeMutablePointer<Int>
    private let groupEmbeddings: UnsafeMutablePointer<Float>
    /// Steps that may arrive after a window's end before it must be classified.
    public var slack: Int { streaming.slack }
    /// The feature transforms the daemon's feature code produces (CSIFeatures).
    public static let supportedTransforms: Set<String> = Set(FeatureTransform.supportedNames)

    /// Loads `path`; a bad file or an input spec the daemon cannot feed throws a ``ClassifierError`` naming the
    /// file and field.
    public convenience init(path: String, maxBatch: Int = 64, slack: Int? = nil) throws {
        let model: CSIModel
        do {
            model = try CSIModel.load(path: path)
        } catch {
            throw ClassifierError(error.description)
        }
        guard let digest = SHA256Digest.hex(fileAt: path) else { throw ClassifierError("\(path): cannot be read") }
        try self.init(model: model, path: path, modelSHA256: digest, maxBatch: maxBatch, slack: slack)
    }

    /// Wraps a loaded `model` (from `path`, whose digest is `modelSHA256`) with buffers of its own.
    private init(model: CSIModel, path: String, modelSHA256: String, maxBatch: Int, slack: Int?) throws {
        self.model = model
        self.path = path
        let config = model.config
        normalization = try Self.normalization(of: config, path: path)
        transform = try Self.transform(of: config, path: path)
        requirements = try Self.requirements(of: config, path: path)
        smootherDefaults = try ModelSmootherDefaults(configJSON: config.json, labels: config.labels, path: path)
        do {
            normalizer = try Normalizer(normalization, features: config.features)
        } catch {
            throw ClassifierError("\(path): \(error)")
        }
        session = InferenceSession(model: model, maxBatch: max(1, maxBatch))
        // A per-window normalisation (window-centered) cannot be applied step by step: the ring keeps raw steps.
        let normalizer = self.normalizer
        self.slackSetting = slack
        streaming = StreamingSession(model: model, maxBatch: max(1, maxBatch), slack: slack ?? Self.defaultSlack(config),
                                     windowTransform: normalizer.normalizesSteps ? nil : { normalizer.apply($0) })
        step = .allocate(capacity: config.features)
        step.initialize(repeating: 0, count: config.features)
        self.modelSHA256 = modelSHA256
        idleReference = try Self.idleReference(of: config, path: path)
        self.maxBatch = max(1, maxBatch)
        groupSlots = .allocate(capacity: 2 * self.maxBatch)
        groupEnds = .allocate(capacity: 2 * self.maxBatch)
        groupRows = .allocate(capacity: 2 * self.maxBatch)
        groupEmbeddings = .allocate(capacity: self.maxBatch * model.embeddingSize)
    }

    /// Steps a stream may add after a window's end before it must be classified, by default: half a window (so
    /// streams' windows can wait for a common batch) plus what one measurement can add after the daemon's
    /// 0.5 s hold (``FeaturePipelineConfig/maximumStepsPerMeasurement``), so the daemon can make room before a
    /// measurement instead of classifying from inside its feature callback.
    static func defaultSlack(_ config: ModelConfig) -> Int {
        max(1, config.steps / 2) + Int((0.5 * config.sampleRateHz).rounded(.up)) + 3
    }

    /// The same model (weights shared, not reloaded) with its own engine sessions and no streams, for another
    /// pipeline worker.
    public func replica() throws -> any WindowClassifier {
        try ModelClassifier(model: model, path: path, modelSHA256: modelSHA256, maxBatch: maxBatch, slack: slackSetting)
    }

    deinit {
        step.deallocate()
        groupSlots.deallocate()
        groupEnds.deallocate()
        groupRows.deallocate()
        groupEmbeddings.deallocate()
    }

    /// The optional `input.idle_reference` of `config`: `features` finite numbers; throws a ``ClassifierError``
    /// naming `path` and the field when it is present but malformed.
    public static func idleReference(of config: ModelConfig, path: String) throws -> [Float]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(config.json.utf8)) as? [String: Any],
              let input = object["input"] as? [String: Any], let value = input["idle_reference"] else { return nil }
        guard let array = value as? [Any], array.count == config.features else {
            throw ClassifierError("\(path): input.idle_reference: must be an array of \(config.features) numbers (input.features)")
        }
        return try array.enumerated().map { index, item in
            guard let number = item as? NSNumber, Float(number.doubleValue).isFinite else {
                throw ClassifierError("\(path): input.idle_reference: value \(index) is not a finite number")
            }
            return Float(number.doubleValue)
        }
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
        try fromInput(of: config, path: path) { input in try FeatureTransform(input: input) }
    }

    /// The stream requirements of `config` (``ModelRequirements``); throws a ``ClassifierError`` naming `path` and
    /// the field.
    public static func requirements(of config: ModelConfig, path: String) throws -> ModelRequirements {
        try fromInput(of: config, path: path) { input in try ModelRequirements(input: input) }
    }

    /// `make` applied to the `input` object of `config`; a missing `input` or what `make` throws becomes a
    /// ``ClassifierError`` naming `path`.
    private static func fromInput<T>(of config: ModelConfig, path: String,
                                     _ make: ([String: Any]) throws -> T) throws -> T {
        guard let object = try? JSONSerialization.jsonObject(with: Data(config.json.utf8)) as? [String: Any],
              let input = object["input"] as? [String: Any] else {
            throw ClassifierError("\(path): input: missing or not an object")
        }
        do {
            return try make(input)
        } catch {
            throw ClassifierError("\(path): \(error)")
        }
    }

    /// Opens a stream in the streaming session (uncalibrated).
    public func openStream() -> Int {
        let slot = streaming.openStream()
        if slot >= heads.count {
            heads += [ClassifierHead?](repeating: nil, count: slot + 1 - heads.count)
            offsets += [[Float]?](repeating: nil, count: slot + 1 - offsets.count)
        }
        try? setHead(nil, for: slot)
        setStepOffsets(nil, for: slot)
        return slot
    }

    /// Closes a stream (its calibration is dropped).
    public func closeStream(_ slot: Int) {
        try? setHead(nil, for: slot)
        setStepOffsets(nil, for: slot)
        streaming.closeStream(slot)
    }

    /// Uses `head` for the windows of `slot` (`nil`: the model's head, exact uncalibrated path); throws a
    /// ``ClassifierError`` when its shape is not the model's (classes x embedding size).
    public func setHead(_ head: ClassifierHead?, for slot: Int) throws {
        guard slot >= 0, slot < heads.count else { return }
        if let head, head.classes != model.config.classes || head.inputs != model.embeddingSize {
            throw ClassifierError("head is \(head.classes) x \(head.inputs); the model's is \(model.config.classes) x \(model.embeddingSize)")
        }
        calibratedSlots += (head == nil ? 0 : 1) - (heads[slot] == nil ? 0 : 1)
        heads[slot] = head
    }

    /// Adds `offsets` to every raw step of `slot` from now on (`nil` or a wrong length: none).
    public func setStepOffsets(_ offsets: [Float]?, for slot: Int) {
        guard slot >= 0, slot < self.offsets.count else { return }
        self.offsets[slot] = offsets?.count == model.config.features ? offsets : nil
    }

    /// Normalises one raw step and appends it to the stream (a per-window normalisation is applied per window).
    public func append(step raw: UnsafeBufferPointer<Float>, to slot: Int) {
        let features = model.config.features
        guard let source = raw.baseAddress, raw.count >= features else { return }
        step.update(from: source, count: features)
        if slot >= 0, slot < offsets.count, let offset = offsets[slot] {
            offset.withUnsafeBufferPointer { add in for i in 0..<features { step[i] += add[i] } }
        }
        if normalizer.normalizesSteps {
            normalizer.apply(UnsafeMutableBufferPointer(start: step, count: features))
        }
        streaming.append(steps: step, count: 1, to: slot)
    }

    /// The end position of a window ending now.
    public func position(of slot: Int) -> Int { streaming.position(of: slot) }

    /// Probabilities of the windows ending at `ends` of `slots`. Windows of uncalibrated streams go through the
    /// engine's `probabilities`, in the same batch as without calibration (bit-identical results); those of
    /// calibrated streams through `embeddings` and their stream's head.
    public func classify(slots: UnsafeBufferPointer<Int>, ends: UnsafeBufferPointer<Int>,
                         into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        let count = slots.count
        var calibrated = 0
        if calibratedSlots > 0 {
            guard count <= maxBatch else { throw ClassifierError("\(path): classify: \(count) windows > batch \(maxBatch)") }
            for row in 0..<count where slots[row] >= 0 && slots[row] < heads.count && heads[slots[row]] != nil {
                calibrated += 1
            }
        }
        guard calibrated > 0 else {
            guard streaming.probabilities(slots: slots, ends: ends, into: probabilities) else { throw overwritten }
            return
        }
        // Calibrated windows (at offset maxBatch of the group buffers) go through embeddings and their heads. In a
        // batch that mixes both, the whole batch first goes through `probabilities`, so the uncalibrated windows get
        // exactly what they would get without any calibration (the engine's results depend slightly on the batch).
        var custom = 0
        for row in 0..<count where slots[row] >= 0 && slots[row] < heads.count && heads[slots[row]] != nil {
            groupSlots[maxBatch + custom] = slots[row]
            groupEnds[maxBatch + custom] = ends[row]
            groupRows[maxBatch + custom] = row
            custom += 1
        }
        let classes = model.config.classes
        guard let output = probabilities.baseAddress, probabilities.count >= count * classes else {
            throw ClassifierError("\(path): classify: output too small for \(count) windows")
        }
        if custom < count {
            guard streaming.probabilities(slots: slots, ends: ends, into: probabilities) else { throw overwritten }
        }
        let width = model.embeddingSize
        guard streaming.embeddings(slots: UnsafeBufferPointer(start: groupSlots + maxBatch, count: custom),
                                   ends: UnsafeBufferPointer(start: groupEnds + maxBatch, count: custom),
                                   into: UnsafeMutableBufferPointer(start: groupEmbeddings, count: custom * width))
        else { throw overwritten }
        for g in 0..<custom {
            guard let head = heads[groupSlots[maxBatch + g]] else { continue }
            head.probabilities(embeddings: groupEmbeddings + g * width, rows: 1, into: output + groupRows[maxBatch + g] * classes)
        }
    }

    private var overwritten: ClassifierError {
        ClassifierError("\(path): a window was overwritten before it was classified "
            + "(more than \(streaming.slack) steps arrived after its end)")
    }

    /// E, the size of one window's embedding.
    public var embeddingSize: Int { model.embeddingSize }

    /// The model's own head.
    public var head: ClassifierHead { model.head }

    /// Normalises `windows` (batch, steps, features) in place and writes their embeddings (batch, E).
    public func embeddings(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                           into embeddings: UnsafeMutableBufferPointer<Float>) throws {
        try normalize(windows, batch: batch, output: embeddings.count, width: model.embeddingSize, for: "embeddings")
        session.embeddings(windows: UnsafeBufferPointer(windows), batch: batch, into: embeddings)
    }

    /// Normalises `windows` (batch, steps, features) in place and writes class probabilities (batch, classes).
    public func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                         into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        try normalize(windows, batch: batch, output: probabilities.count, width: model.config.classes, for: "classify")
        session.probabilities(windows: UnsafeBufferPointer(windows), batch: batch, into: probabilities)
    }

    /// Checks that `windows` holds `batch` windows and an output of `output` values holds `batch` rows of `width`,
    /// then normalises the windows in place with the model's frozen constants (the one place raw windows are
    /// normalised).
    private func normalize(_ windows: UnsafeMutableBufferPointer<Float>, batch: Int, output: Int, width: Int,
                           for call: String) throws {
        let size = model.config.steps * model.config.features
        guard batch >= 0, windows.count >= batch * size, output >= batch * width else {
            throw ClassifierError("\(path): \(call): buffers too small for a batch of \(batch)")
        }
        normalizer.apply(windows: UnsafeMutableBufferPointer(rebasing: windows[0..<(batch * size)]), steps: model.config.steps)
    }
}
