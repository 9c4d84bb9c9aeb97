import Foundation

/// The model families the engine runs (the `architecture` config key).
public enum ModelArchitecture: String, Sendable, CaseIterable {
    /// `nn.RNN` (tanh or relu) -> `fc` on the last layer's final state.
    case rnn
    /// `nn.GRU` -> `fc` on the last layer's final state (SenseFi `UT_HAR_GRU`).
    case gru
    /// `nn.LSTM` -> `fc` on the last layer's final hidden state.
    case lstm
    /// Bidirectional `nn.LSTM` -> `fc` on `h_n[-1]`, the backward direction (SenseFi `UT_HAR_BiLSTM`).
    case bilstm
    /// Bidirectional LSTM, attention pooling over time, `fc` (Chen et al. ABLSTM).
    case ablstm
    /// Conv1d stack over the steps as channels, then a GRU (SenseFi `UT_HAR_CNN_GRU`).
    case cnnGRU = "cnn-gru"
    /// The conv encoder + GRU and a GRU on the raw input side by side, final states concatenated.
    case cnnGRUParallel = "cnn-gru-parallel"
}

/// A model's configuration: `__metadata__["csihar"]` of its file (docs/model-format.md).
public struct ModelConfig: Sendable {
    /// Always 1 for now.
    public var formatVersion: Int
    /// A short name (`ut-har-gru`); the file name when absent.
    public var name: String
    /// The family.
    public var architecture: ModelArchitecture
    /// Hidden units per direction of every recurrent layer.
    public var hiddenSize: Int
    /// Stacked recurrent layers.
    public var numLayers: Int
    /// Whether the recurrent layers run both directions (always true for `bilstm`, `ablstm`).
    public var bidirectional: Bool
    /// `tanh` or `relu` (`rnn` only).
    public var nonlinearity: String
    /// Attention projection size (`ablstm` only).
    public var attentionSize: Int?
    /// Number of outputs.
    public var classes: Int
    /// One label per output.
    public var labels: [String]
    /// Time steps per window.
    public var steps: Int
    /// Features per step.
    public var features: Int
    /// Model steps per second of capture time.
    public var sampleRateHz: Double
    /// Input layout (`3x30`).
    public var layout: String
    /// Feature transform (`amplitude-db`).
    public var transform: String
    /// The JSON text of `input.normalization`, empty when absent (CSIFeatures parses it).
    public var normalizationJSON: String
    /// The whole config as JSON text.
    public var json: String

    /// Directions of every recurrent layer (1 or 2).
    public var directions: Int { bidirectional ? 2 : 1 }

    /// Parses and validates a config; `source` names the file in errors.
    public init(json: String, source: String) throws(ModelFileError) {
        func fail(_ field: String, _ reason: String) -> ModelFileError {
            ModelFileError(path: source, field: field, reason: reason)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
              let root = object as? [String: Any] else {
            throw fail("__metadata__.csihar", "is not a JSON object")
        }
        func integer(_ dictionary: [String: Any], _ key: String, _ field: String, range: ClosedRange<Int>,
                     default fallback: Int? = nil) throws(ModelFileError) -> Int {
            guard let value = dictionary[key] else {
                if let fallback { return fallback }
                throw fail(field, "is missing")
            }
            guard let number = value as? NSNumber, number.doubleValue.rounded() == number.doubleValue,
                  number.doubleValue.isFinite, abs(number.doubleValue) < 1e12 else {
                throw fail(field, "must be an integer, got \(value)")
            }
            let result = Int(number.doubleValue)
            guard range.contains(result) else { throw fail(field, "is \(result), must be in \(range)") }
            return result
        }
        func string(_ dictionary: [String: Any], _ key: String, _ field: String, default fallback: String? = nil)
            throws(ModelFileError) -> String {
            guard let value = dictionary[key] else {
                if let fallback { return fallback }
                throw fail(field, "is missing")
            }
            guard let text = value as? String else { throw fail(field, "must be a string") }
            return text
        }

        formatVersion = try integer(root, "format_version", "format_version", range: 1...1, default: 1)
        let architectureName = try string(root, "architecture", "architecture")
        guard let architecture = ModelArchitecture(rawValue: architectureName) else {
            throw fail("architecture", "'\(architectureName)' is not one of "
                + ModelArchitecture.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.architecture = architecture
        name = try string(root, "name", "name", default: source)
        hiddenSize = try integer(root, "hidden_size", "hidden_size", range: 1...4096)
        numLayers = try integer(root, "num_layers", "num_layers", range: 1...16, default: 1)
        if let value = root["bidirectional"] {
            guard let flag = value as? Bool else { throw fail("bidirectional", "must be true or false") }
            bidirectional = flag
        } else {
            bidirectional = false
        }
        if architecture == .bilstm || architecture == .ablstm {
            if root["bidirectional"] != nil && !bidirectional {
                throw fail("bidirectional", "must be true for \(architecture.rawValue)")
            }
            bidirectional = true
        }
        nonlinearity = try string(root, "nonlinearity", "nonlinearity", default: "tanh")
        guard nonlinearity == "tanh" || nonlinearity == "relu" else {
            throw fail("nonlinearity", "'\(nonlinearity)' is not tanh or relu")
        }
        if architecture == .ablstm {
            attentionSize = try integer(root, "attention_size", "attention_size", range: 1...16384)
        } else {
            attentionSize = nil
        }
        classes = try integer(root, "classes", "classes", range: 1...1024)
        guard let labelValues = root["labels"] as? [Any] else { throw fail("labels", "is missing or not a list") }
        var labels: [String] = []
        for value in labelValues {
            guard let label = value as? String else { throw fail("labels", "must hold strings") }
            labels.append(label)
        }
        guard labels.count == classes else {
            throw fail("labels", "has \(labels.count) entries for \(classes) classes")
        }
        self.labels = labels

        guard let input = root["input"] as? [String: Any] else { throw fail("input", "is missing or not an object") }
        steps = try integer(input, "steps", "input.steps", range: 1...100_000)
        features = try integer(input, "features", "input.features", range: 1...4096)
        if let value = input["sample_rate_hz"] {
            guard let number = value as? NSNumber, number.doubleValue.isFinite, number.doubleValue > 0,
                  number.doubleValue <= 1_000_000 else {
                throw fail("input.sample_rate_hz", "must be a positive number")
            }
            sampleRateHz = number.doubleValue
        } else {
            sampleRateHz = 250
        }
        layout = try string(input, "layout", "input.layout", default: "3x30")
        transform = try string(input, "transform", "input.transform", default: "amplitude-db")
        if let normalization = input["normalization"] {
            guard JSONSerialization.isValidJSONObject(normalization),
                  let data = try? JSONSerialization.data(withJSONObject: normalization, options: [.sortedKeys]),
                  let text = String(data: data, encoding: .utf8) else {
                throw fail("input.normalization", "must be a JSON object")
            }
            normalizationJSON = text
        } else {
            normalizationJSON = ""
        }
        if architecture == .cnnGRU || architecture == .cnnGRUParallel {
            guard ConvEncoder.outputLength(features: features) >= 1 else {
                throw fail("input.features", "is \(features); the conv encoder of \(architecture.rawValue) needs >= 48")
            }
        }
        self.json = json
    }
}
