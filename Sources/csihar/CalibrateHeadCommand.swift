import ArgumentParser
import CSIDaemon
import CSIEvents
import CSIFeatures
import CSIInference
import Foundation

/// `csihar calibrate head`: fits a few-shot classifier head on a labelled capture (the same code as
/// `csihar evaluate --calibration-capture`) and writes it as a `HeadCalibration` file.
struct CalibrateHeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head", abstract: "Fit a calibrated classifier head from labelled captures of the room.")

    @Option(help: "Model file (default: csihard's default model).")
    var model: String?
    @Option(help: "Labelled capture of the room (repeatable).")
    var capture: [String] = []
    @Option(help: "Label sidecar of the matching --capture (default <capture without extension>.labels.csv).")
    var labels: [String] = []
    @Option(help: "Penalty pulling the head toward the model's (docs/calibration.md).")
    var lambda: Double = 1e-2
    @Option(help: "Seconds between windows (csihard's pipeline.hop_seconds).")
    var hopSeconds: Double = 0.2
    @Option(help: "Fraction of a window its sidecar label must cover.")
    var minCoverage: Double = 0.6
    @Option(name: .shortAndLong, help: "Output file (HeadCalibration JSON).")
    var output: String
    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard !capture.isEmpty else { throw ValidationError("give at least one --capture FILE") }
        guard labels.count <= capture.count else { throw ValidationError("more --labels than --capture files") }
        guard lambda > 0 && lambda.isFinite else { throw ValidationError("--lambda must be positive") }
        guard hopSeconds > 0 else { throw ValidationError("--hop-seconds must be positive") }
        guard minCoverage >= 0 && minCoverage < 1 else { throw ValidationError("--min-coverage must be in [0, 1)") }
    }

    func run() throws {
        let modelPath = try EventEvaluation.resolveModel(model, settings: DaemonSettings())
        let classifier = try ModelClassifier(path: modelPath)
        let runner = try EvaluationRunner(classifier: classifier, hopSeconds: hopSeconds, minimumCoverage: minCoverage)
        for (i, path) in capture.enumerated() {
            let sidecar = EventEvaluation.sidecar(of: path, index: i, labels: labels)
            var input = EvaluationInput(path: path, track: try LabelTrack(contentsOf: sidecar))
            input.calibration = true
            try runner.evaluate(input)
        }
        try runner.flush()
        if let failure = runner.report.failures.first { throw CommandFailure("\(failure.0): \(failure.1)") }
        let result = try Calibration.fitHead(runner, lambda: lambda)
        let head = HeadCalibration(model: classifier.model, modelSHA256: classifier.modelSHA256, result: result)
        try head.save(path: output)
        // Classes the captures never showed keep weights fitted elsewhere: on real Raspberry Pi recordings without
        // running, an uncalibrated "run" row went on claiming the new room's falls (BENCHMARKS.md, Fition calibration).
        let missing = classifier.model.config.labels.filter { (head.perClassWindows[$0] ?? 0) == 0 }
        let summary: [String: Any] = [
            "missing_classes": missing,
            "file": output, "model": modelPath, "windows": head.windows, "per_class_windows": head.perClassWindows,
            "lambda": lambda, "iterations": result.iterations, "objective_initial": result.initialObjective,
            "objective": result.objective,
        ]
        if json {
            print(try JSONLine.string(summary))
        } else {
            let classes = head.perClassWindows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print(String(format: "%@: head for %@ from %d windows (%@); objective %.5f -> %.5f in %d iterations",
                         output, modelPath, head.windows, classes, result.initialObjective, result.objective, result.iterations))
            if !missing.isEmpty {
                print("note: no calibration windows of \(missing.joined(separator: ", ")): those classes keep the model's own "
                      + "weights; record them in the room too if they happen there")
            }
        }
    }
}
