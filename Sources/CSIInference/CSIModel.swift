/// A loaded model: its config and weights, immutable and shared between threads.
///
/// Tensor names are the `state_dict` keys of the PyTorch reference module (`training/csihar_train/models.py`),
/// so a model trained in PyTorch loads unchanged. Run it with an ``InferenceSession``.
public final class CSIModel: Sendable {
    /// The configuration from the file's metadata.
    public let config: ModelConfig
    /// Number of float parameters in the file.
    public let parameterCount: Int

    /// The main recurrent stack (`rnn`, `gru`, `lstm`; for `cnn-gru` the GRU after the encoder;
    /// for `cnn-gru-parallel` the GRU over the raw input).
    let recurrent: RecurrentStack
    /// `cnn-gru-parallel` only: the GRU over the encoder output (`cnn_gru`).
    let encoderRecurrent: RecurrentStack?
    /// `cnn-gru` and `cnn-gru-parallel`: the conv encoder.
    let encoder: ConvEncoder?
    /// `ablstm`: attention pooling.
    let attention: AttentionPooling?
    /// The classifier (`fc` or `classifier.1`).
    let classifier: LinearLayer

    /// Loads and validates the file at `path`.
    public static func load(path: String) throws(ModelFileError) -> CSIModel {
        try CSIModel(file: SafetensorsFile.read(path: path), source: path)
    }

    /// Loads and validates a model from the bytes of a file; `source` names it in errors.
    public static func load(bytes: [UInt8], source: String) throws(ModelFileError) -> CSIModel {
        try CSIModel(file: SafetensorsFile.parse(bytes: bytes, source: source), source: source)
    }

    /// Validates `file` against its config and builds the layers.
    public init(file: SafetensorsFile, source: String) throws(ModelFileError) {
        guard let configText = file.metadata["csihar"] else {
            throw ModelFileError(path: source, field: "__metadata__.csihar",
                                 reason: "is missing: not a csihar model file (see docs/model-format.md)")
        }
        let config = try ModelConfig(json: configText, source: source)
        let expected = Self.expectedShapes(config)
        for name in expected.keys.sorted() {
            guard let tensor = file.tensors[name] else {
                throw ModelFileError(path: source, field: name, reason: "tensor is missing")
            }
            guard tensor.shape == expected[name] else {
                throw ModelFileError(path: source, field: name,
                                     reason: "has shape \(tensor.shape), expected \(expected[name] ?? [])")
            }
            if let bad = tensor.values.firstIndex(where: { !$0.isFinite }) {
                throw ModelFileError(path: source, field: name, reason: "value \(bad) is \(tensor.values[bad])")
            }
        }
        if let extra = file.tensors.keys.sorted().first(where: { expected[$0] == nil }) {
            throw ModelFileError(path: source, field: extra,
                                 reason: "unexpected tensor for architecture \(config.architecture.rawValue)")
        }
        self.config = config
        parameterCount = expected.values.reduce(0) { $0 + $1.reduce(1, *) }

        let tensors = file.tensors
        let directions = config.directions
        let hidden = config.hiddenSize
        switch config.architecture {
        case .rnn, .gru, .lstm, .bilstm, .ablstm:
            let (cell, prefix) = Self.recurrentCell(config)
            recurrent = RecurrentStack(cell: cell, prefix: prefix, inputSize: config.features, hiddenSize: hidden,
                                       numLayers: config.numLayers, directions: directions, tensors: tensors)
            encoderRecurrent = nil
            encoder = nil
            if config.architecture == .ablstm {
                attention = AttentionPooling(prefix: "attention", size: directions * hidden,
                                             attention: config.attentionSize ?? 1, tensors: tensors)
            } else {
                attention = nil
            }
            classifier = Self.linear("fc", tensors)
        case .cnnGRU, .cnnGRUParallel:
            let convolution = ConvEncoder(prefix: "encoder", channels: config.steps, features: config.features,
                                          tensors: tensors)
            encoder = convolution
            attention = nil
            if config.architecture == .cnnGRU {
                recurrent = RecurrentStack(cell: .gru, prefix: "gru", inputSize: convolution.outputLength,
                                           hiddenSize: hidden, numLayers: config.numLayers, directions: directions,
                                           tensors: tensors)
                encoderRecurrent = nil
            } else {
                recurrent = RecurrentStack(cell: .gru, prefix: "gru", inputSize: config.features, hiddenSize: hidden,
                                           numLayers: config.numLayers, directions: directions, tensors: tensors)
                encoderRecurrent = RecurrentStack(cell: .gru, prefix: "cnn_gru", inputSize: convolution.outputLength,
                                                  hiddenSize: hidden, numLayers: config.numLayers,
                                                  directions: directions, tensors: tensors)
            }
            classifier = Self.linear("classifier.1", tensors)
        }
    }

    /// The recurrent cell and its module name for the recurrent families.
    static func recurrentCell(_ config: ModelConfig) -> (RecurrentCell, String) {
        switch config.architecture {
        case .rnn: (config.nonlinearity == "relu" ? .rnnRelu : .rnnTanh, "rnn")
        case .gru, .cnnGRU, .cnnGRUParallel: (.gru, "gru")
        case .lstm, .bilstm, .ablstm: (.lstm, "lstm")
        }
    }

    /// Every tensor the architecture needs, with its shape.
    static func expectedShapes(_ config: ModelConfig) -> [String: [Int]] {
        let hidden = config.hiddenSize
        let directions = config.directions
        var shapes: [String: [Int]] = [:]
        switch config.architecture {
        case .rnn, .gru, .lstm, .bilstm, .ablstm:
            let (cell, prefix) = recurrentCell(config)
            shapes.merge(RecurrentStack.expectedShapes(prefix: prefix, cell: cell, inputSize: config.features,
                                                       hiddenSize: hidden, numLayers: config.numLayers,
                                                       directions: directions)) { $1 }
            if config.architecture == .ablstm {
                let attention = config.attentionSize ?? 1
                shapes.merge(AttentionPooling.expectedShapes(prefix: "attention", size: directions * hidden,
                                                             attention: attention)) { $1 }
                shapes["fc.weight"] = [config.classes, directions * hidden]
            } else {
                shapes["fc.weight"] = [config.classes, hidden]
            }
            shapes["fc.bias"] = [config.classes]
        case .cnnGRU, .cnnGRUParallel:
            let length = ConvEncoder.outputLength(features: config.features)
            shapes.merge(ConvEncoder.expectedShapes(prefix: "encoder", channels: config.steps)) { $1 }
            if config.architecture == .cnnGRU {
                shapes.merge(RecurrentStack.expectedShapes(prefix: "gru", cell: .gru, inputSize: length,
                                                           hiddenSize: hidden, numLayers: config.numLayers,
                                                           directions: directions)) { $1 }
                shapes["classifier.1.weight"] = [config.classes, hidden]
            } else {
                shapes.merge(RecurrentStack.expectedShapes(prefix: "cnn_gru", cell: .gru, inputSize: length,
                                                           hiddenSize: hidden, numLayers: config.numLayers,
                                                           directions: directions)) { $1 }
                shapes.merge(RecurrentStack.expectedShapes(prefix: "gru", cell: .gru, inputSize: config.features,
                                                           hiddenSize: hidden, numLayers: config.numLayers,
                                                           directions: directions)) { $1 }
                shapes["classifier.1.weight"] = [config.classes, 2 * hidden]
            }
            shapes["classifier.1.bias"] = [config.classes]
        }
        return shapes
    }

    /// A `Linear` named `prefix` (shapes already validated).
    static func linear(_ prefix: String, _ tensors: [String: SafetensorsFile.Tensor]) -> LinearLayer {
        let weight = tensors["\(prefix).weight"]
        return LinearLayer(inputs: weight?.shape.last ?? 0, outputs: weight?.shape.first ?? 0,
                           weight: weight?.values ?? [], bias: tensors["\(prefix).bias"]?.values ?? [])
    }
}
