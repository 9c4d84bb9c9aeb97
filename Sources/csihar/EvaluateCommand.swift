import ArgumentParser
import CSIFeatures
import Foundation

/// `csihar evaluate`: accuracy of a model on labelled recordings, through the daemon's own feature/window code
/// (CSIFeatures) and the Swift engine (CSIInference).
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a model on labelled recordings (WiAR folders, or captures with label sidecars).",
        discussion: """
            Examples:
              csihar evaluate --model models/wiar-gru.safetensors --wiar ../shared/data/wiar/height/90_rawdata --json
              csihar evaluate --model models/ut-har-gru.safetensors --capture sim.dat --labels sim.labels.csv
            accuracy: per recording (a WiAR file, or one labelled activity of a capture), the argmax of the window
            probabilities averaged over the recording. window_accuracy: per window. confusion: per recording,
            rows = true class, columns = predicted, in the order of `labels`.
            """)

    @Option(help: "Model file (.safetensors, docs/model-format.md).")
    var model: String

    @Option(help: "Directory holding WiAR csi_a{activity}_{trial}.dat files (searched recursively; repeatable).")
    var wiar: [String] = []

    @Option(help: "Capture file with a label sidecar (repeatable).")
    var capture: [String] = []

    @Option(help: "Label sidecar (start,end,activity) of the matching --capture (default <capture>.labels.csv).")
    var labels: [String] = []

    @Option(help: "Seconds between windows.")
    var hopSeconds: Double = 0.5

    @Option(help: "Fraction of a capture window its sidecar label must cover.")
    var minCoverage: Double = 0.6

    @Option(help: "Windows per engine call.")
    var batchSize: Int = 256

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard !wiar.isEmpty || !capture.isEmpty else { throw ValidationError("give --wiar DIR or --capture FILE") }
        guard labels.count <= capture.count else { throw ValidationError("more --labels than --capture files") }
        guard hopSeconds > 0 else { throw ValidationError("--hop-seconds must be positive") }
        guard minCoverage >= 0 && minCoverage < 1 else { throw ValidationError("--min-coverage must be in [0, 1)") }
        guard batchSize >= 1 && batchSize <= 65536 else { throw ValidationError("--batch-size must be 1...65536") }
    }

    func run() async throws {
        let classifier = try EngineClassifier(path: model)
        var inputs: [EvaluationInput] = []
        for directory in wiar { inputs += try EvaluationInput.wiar(directory: directory) }
        for (i, path) in capture.enumerated() {
            let sidecar = i < labels.count ? labels[i] : (path as NSString).deletingPathExtension + ".labels.csv"
            inputs.append(EvaluationInput(path: path, track: try LabelTrack(contentsOf: sidecar)))
        }
        guard !inputs.isEmpty else { throw ValidationError("no recordings found") }
        let runner = try EvaluationRunner(classifier: classifier, hopSeconds: hopSeconds, minimumCoverage: minCoverage,
                                          batchSize: batchSize)
        for input in inputs { try runner.evaluate(input) }
        try runner.flush()
        if json {
            let data = try JSONSerialization.data(withJSONObject: runner.report.jsonObject(model: model),
                                                  options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(runner.report.text(model: model))
        }
    }
}
