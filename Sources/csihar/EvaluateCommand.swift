import ArgumentParser
import CSIDaemon
import CSIEvents
import CSIFeatures
import CSIInference
import Foundation

/// `csihar evaluate`: accuracy of a model on labelled recordings, through the daemon's own feature/window code
/// (CSIFeatures) and the Swift engine (CSIInference); with `--events`, event-level scores of the daemon's own
/// pipeline (``EventEvaluation``, ``EventScorer``).
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a model on labelled recordings (WiAR folders, or captures with label sidecars).",
        discussion: """
            Examples:
              csihar evaluate --model models/wiar-gru.safetensors --wiar ../shared/data/wiar/height/90_rawdata --json
              csihar evaluate --model models/ut-har-gru.safetensors --capture sim.dat --labels sim.labels.csv
              csihar evaluate --events --capture samples/fall-1khz-intel5300.dat --json
              csihar evaluate --model models/wiar-gru.safetensors --wiar DIR --calibration-shots 3 --json
            accuracy: per recording (a WiAR file, or one labelled activity of a capture), the argmax of the window
            probabilities averaged over the recording. window_accuracy: per window. confusion: per recording,
            rows = true class, columns = predicted, in the order of `labels`.
            --events: each capture goes through the daemon's pipeline (csihard's replay reader, windows, model,
            smoother, default settings or --config) and its activity.started/ended and fall.detected events are
            scored against the sidecar's non-idle segments: a segment is found by a span of the same activity whose
            reported start (activity.started start_time) lies within --tolerance-seconds of its start; falls by
            a fall.detected between 1.5 s before and 3 s after the fall segment (others are false falls).
            --head FILE (with --events): every stream uses that few-shot head (from `csihar calibrate head` or
            --calibration-out), as csihard does once it is installed; it must fit the model that serves the capture.
            --calibration-shots K: K recordings per activity of the --wiar folders (drawn with --calibration-seed;
            at most all but one) calibrate the model's final classifier layer (docs/calibration.md); accuracy and
            window_accuracy are then those of the calibrated head on the other recordings, *_uncalibrated those of
            the model's own head on the same recordings. --calibration-capture FILE (sidecar as for --capture):
            its labelled windows calibrate instead. --calibration-out FILE writes the calibrated head (JSON).
            Without --model: the config's model.path, else the model csihard's routes give the (first) capture's
            stream (the built-in [[route]] rules, or the --config file's; docs in systemd/csihard.toml), else the
            daemon's default model (\(DaemonSettings.defaultModelPath)).
            """)

    @Option(help: "Model file (.safetensors, docs/model-format.md; default: the model the daemon would route the capture to).")
    var model: String?

    @Flag(help: "Score the daemon's events (activity.started/ended, fall.detected) on each --capture.")
    var events = false

    @Option(help: "--events: how far (s) a detected start may lie before a labelled segment or after its end.")
    var toleranceSeconds: Double = 1.5

    @Option(help: "--events: write every emitted event (predictions included) to this file as NDJSON.")
    var eventsOut: String?

    @Option(help: "--events: a few-shot head (csihar calibrate head -o FILE) every stream uses, as csihard would once it is installed.")
    var head: String?

    @Option(help: "--events: csihard config file whose [pipeline], [smoother] and model.path apply.")
    var config: String?

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

    @Flag(help: "No progress line on stderr (shown on a terminal; elsewhere one line every 10 s).")
    var noProgress = false

    @Option(help: "Calibrate the classifier head on this many recordings per activity of the --wiar folders.")
    var calibrationShots: Int?

    @Option(help: "Seed of the calibration recording draw.")
    var calibrationSeed: UInt64 = 0

    @Option(help: "Capture (with a <capture>.labels.csv sidecar) whose labelled windows calibrate the head (repeatable).")
    var calibrationCapture: [String] = []

    @Option(help: "Label sidecar of the matching --calibration-capture (default <capture without extension>.labels.csv).")
    var calibrationLabels: [String] = []

    @Option(help: "Penalty pulling the calibrated head toward the model's (lambda, docs/calibration.md).")
    var calibrationLambda: Double = 1e-2

    @Option(help: "Write the calibrated head to this JSON file (docs/calibration.md).")
    var calibrationOut: String?

    /// Whether a calibration option was given.
    var calibrating: Bool { calibrationShots != nil || !calibrationCapture.isEmpty }

    func validate() throws {
        if events {
            guard !capture.isEmpty else { throw ValidationError("--events needs at least one --capture FILE") }
            guard wiar.isEmpty else { throw ValidationError("--events scores captures with label sidecars, not --wiar folders") }
            guard toleranceSeconds >= 0 && toleranceSeconds.isFinite else { throw ValidationError("--tolerance-seconds must be >= 0") }
        } else {
            guard eventsOut == nil && config == nil && head == nil else {
                throw ValidationError("--events-out, --config and --head need --events")
            }
        }
        guard !wiar.isEmpty || !capture.isEmpty else { throw ValidationError("give --wiar DIR or --capture FILE") }
        guard labels.count <= capture.count else { throw ValidationError("more --labels than --capture files") }
        guard hopSeconds > 0 else { throw ValidationError("--hop-seconds must be positive") }
        guard minCoverage >= 0 && minCoverage < 1 else { throw ValidationError("--min-coverage must be in [0, 1)") }
        guard batchSize >= 1 && batchSize <= 65536 else { throw ValidationError("--batch-size must be 1...65536") }
        if let shots = calibrationShots {
            guard shots >= 1 else { throw ValidationError("--calibration-shots must be >= 1") }
            guard !wiar.isEmpty else { throw ValidationError("--calibration-shots picks recordings of --wiar folders") }
        }
        guard calibrationLabels.count <= calibrationCapture.count else {
            throw ValidationError("more --calibration-labels than --calibration-capture files")
        }
        if calibrating {
            guard !events else { throw ValidationError("calibration options do not apply to --events") }
            guard calibrationLambda > 0 && calibrationLambda.isFinite else {
                throw ValidationError("--calibration-lambda must be positive")
            }
        } else if calibrationOut != nil {
            throw ValidationError("--calibration-out needs --calibration-shots or --calibration-capture")
        }
    }

    func run() async throws {
        if events {
            var evaluation = EventEvaluation(captures: capture, labels: labels, model: model, configPath: config,
                                             toleranceSeconds: toleranceSeconds, eventsOut: eventsOut, headPath: head)
            evaluation.progress = ProgressReporter(task: "evaluate", unit: "captures", total: capture.count,
                                                   mode: ProgressReporter.automaticMode(disabled: noProgress))
            print(json ? try evaluation.runJSON() : try evaluation.runText())
            return
        }
        let model = try EventEvaluation.resolveModel(model, settings: DaemonSettings(), capture: capture.first)
        let classifier = try ModelClassifier(path: model)
        var inputs: [EvaluationInput] = []
        for directory in wiar { inputs += try EvaluationInput.wiar(directory: directory) }
        for (i, path) in capture.enumerated() {
            let sidecar = EventEvaluation.sidecar(of: path, index: i, labels: labels)
            inputs.append(EvaluationInput(path: path, track: try LabelTrack(contentsOf: sidecar)))
        }
        guard !inputs.isEmpty else { throw CommandFailure("no recordings to evaluate (give --wiar DIR or --capture FILE)") }
        if let shots = calibrationShots { inputs = Calibration.pickShots(inputs, shots: shots, seed: calibrationSeed) }
        for (i, path) in calibrationCapture.enumerated() {
            let sidecar = EventEvaluation.sidecar(of: path, index: i, labels: calibrationLabels)
            var input = EvaluationInput(path: path, track: try LabelTrack(contentsOf: sidecar))
            input.calibration = true
            inputs.append(input)
        }
        let runner = try EvaluationRunner(classifier: classifier, hopSeconds: hopSeconds, minimumCoverage: minCoverage,
                                          batchSize: batchSize)
        let progress = ProgressReporter(task: "evaluate", unit: "recordings", total: inputs.count,
                                        mode: ProgressReporter.automaticMode(disabled: noProgress))
        progress.update(done: 0)
        do {
            defer { progress.finish() }   // also before an error message
            for (index, input) in inputs.enumerated() {
                try runner.evaluate(input) { within in
                    progress.update(done: index, fraction: within.map { (Double(index) + $0) / Double(inputs.count) })
                }
                progress.update(done: index + 1)
            }
            try runner.flush()
        }
        guard calibrating else {
            if json {
                print(try JSONLine.string(runner.report.jsonObject(model: model)))
            } else {
                print(runner.report.text(model: model))
            }
            if runner.report.recordings.isEmpty {
                let first = runner.report.failures.first.map { "\($0.0): \($0.1)" } ?? "no labelled windows"
                throw CommandFailure("no recording could be evaluated with \(model) (\(first))")
            }
            return
        }
        let outcome = try Calibration.run(runner, lambda: calibrationLambda, shots: calibrationShots, seed: calibrationSeed)
        if let calibrationOut {
            try HeadCalibration(model: classifier.model, modelSHA256: classifier.modelSHA256, result: outcome.result)
                .save(path: calibrationOut)
        }
        if json {
            print(try JSONLine.string(outcome.jsonObject(model: model, labels: classifier.labels)))
        } else {
            print(outcome.text(model: model))
        }
    }
}
