import ArgumentParser
import CSIFeatures
import CSIInference
import Foundation

/// `csihar predict`: logits of a model for windows stored in a `.npy` file.
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a model on windows from a .npy file and write the logits.",
        discussion: """
            X is float32 (N, steps, features), already normalised as the model expects (the same values that \
            PyTorch's module gets); Y is float32 (N, classes) logits.
            """)

    @Option(name: .long, help: "Model file (.safetensors).")
    var model: String

    @Option(name: .long, help: "Input windows, .npy (N, steps, features).")
    var input: String

    @Option(name: .long, help: "Output logits, .npy (N, classes) float32.")
    var output: String

    @Option(name: .long, help: "Windows per engine call.")
    var batch: Int = 64

    @Flag(name: .long, help: "Write softmax probabilities instead of logits.")
    var probabilities = false

    func run() async throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        let loaded = try CSIModel.load(path: model)
        let config = loaded.config
        let array = try NumpyFile.read(path: input)
        guard array.shape.count == 3, array.shape[1] == config.steps, array.shape[2] == config.features else {
            throw ValidationError("\(input): shape \(array.shape) does not match the model input "
                + "(N, \(config.steps), \(config.features))")
        }
        let count = array.shape[0]
        let windows = array.values.map { Float($0) }                   // (N, steps, features)
        var logits = [Float](repeating: 0, count: count * config.classes)  // (N, classes)
        let session = InferenceSession(model: loaded, maxBatch: min(batch, max(1, count)))
        windows.withUnsafeBufferPointer { source in
            logits.withUnsafeMutableBufferPointer { destination in
                if probabilities {
                    session.probabilities(windows: source, batch: count, into: destination)
                } else {
                    session.logits(windows: source, batch: count, into: destination)
                }
            }
        }
        let data = logits.withUnsafeBufferPointer { Data(buffer: $0) }
        try NumpyFile.write(path: output, descr: "<f4", shape: [count, config.classes], data: data)
    }
}
