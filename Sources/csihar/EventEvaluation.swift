import CSIDaemon
import CSIEvents
import CSIFeatures
import CSIInference
import Foundation

/// `csihar evaluate --events`: replays each labelled capture through the daemon's pipeline
/// (``CaptureEventReplay``), scores the events against its sidecar (``EventScorer``) and formats the pooled figures.
struct EventEvaluation {
    /// Capture files, and the sidecars given for the first of them (the others: `<capture>.labels.csv`).
    var captures: [String], labels: [String]
    /// `--model` (nil: the config's model.path, else the daemon's default model).
    var model: String?
    /// A csihard config file whose pipeline and smoother settings apply (nil: the daemon's defaults).
    var configPath: String?
    /// Onset tolerance in seconds.
    var toleranceSeconds: Double
    /// Where to write every emitted event as NDJSON (`prediction` events included), if anywhere.
    var eventsOut: String?
    /// A few-shot head file (`csihar calibrate head`) every stream uses, as a stream calibrated with it would.
    var headPath: String?
    /// Progress over the captures (stderr), if shown; warnings go through it.
    var progress: ProgressReporter?

    /// The sidecar of capture `index`: the `--labels` given for it, else `<capture without extension>.labels.csv`.
    static func sidecar(of capture: String, index: Int, labels: [String]) -> String {
        index < labels.count ? labels[index] : (capture as NSString).deletingPathExtension + ".labels.csv"
    }

    /// The model path csihard would serve `capture`: `explicit`, else the settings' model.path, else the model its
    /// routes give the capture's first stream (``CaptureRouting``); without a capture, the default model, which must
    /// then exist. Relative paths are looked for as csihard does (``ModelSearchPath``: the working directory, the
    /// config file's directory, the installed `<bindir>/../share/csihar`).
    static func resolveModel(_ explicit: String?, settings: DaemonSettings, capture: String? = nil,
                             searchPath: ModelSearchPath = .standard(configPath: nil),
                             warn: ((String) -> Void)? = nil) throws -> String {
        if let path = explicit ?? settings.modelPath { return searchPath.resolveOrKeep(path) }
        if let capture {
            guard let warn else { return try CaptureRouting.modelPath(for: capture, settings: settings, searchPath: searchPath) }
            return try CaptureRouting.modelPath(for: capture, settings: settings, searchPath: searchPath) { warn("warning: " + $0) }
        }
        let path = DaemonSettings.defaultModelPath
        guard let found = searchPath.resolve(path) else {
            throw CommandFailure("no --model given and the daemon's default model \(searchPath.describe(path)) is "
                                 + "not there (run from the repository root, install it, or pass --model FILE)")
        }
        return found
    }

    /// Replays `capture` through the daemon's pipeline as csihard would serve it: the model `resolveModel` gives
    /// (`model`, else the settings' model.path, else the routed one), loaded fresh (no state of one replay reaches
    /// the next), `settings.pipeline` (smoother included); `predictions` keeps the per-window `prediction` events.
    /// `note` gets each warning line (`warning: ...`; default: standard error), `tick` the fraction of the capture
    /// read; `head` (from `headPath`) is checked against the model and used for every stream. Shared by
    /// `evaluate --events` and `plot`.
    static func replay(capture: String, model: String?, settings: DaemonSettings, predictions: Bool,
                       head: (calibration: HeadCalibration, path: String)? = nil,
                       searchPath: ModelSearchPath = .standard(configPath: nil),
                       note: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
                       tick: ((Double?) -> Void)? = nil) throws
        -> (run: CaptureEventRun, modelPath: String, classifier: any CSIDaemon.WindowClassifier) {
        let modelPath = try resolveModel(model, settings: settings, capture: capture, searchPath: searchPath, warn: note)
        // A fresh model per capture: no state of one replay reaches the next.
        let classifier: any CSIDaemon.WindowClassifier
        do {
            classifier = try ModelLoader.load(path: modelPath, maxBatch: settings.pipeline.maxBatch)
        } catch {
            throw CommandFailure("\(error)")
        }
        if let head {
            // A head for another model would be reported by the pipeline and ignored; here it is an error.
            guard let calibratable = classifier as? any CalibratableClassifier else {
                throw CommandFailure("\(head.path): the model \(modelPath) cannot be calibrated")
            }
            do {
                try head.calibration.validate(for: calibratable.model, modelSHA256: calibratable.modelSHA256, path: head.path)
            } catch {
                throw CommandFailure("\(error) (serving model: \(modelPath))")
            }
        }
        do {
            let run = try CaptureEventReplay.run(path: capture, classifier: classifier, config: settings.pipeline,
                                                 head: head?.calibration, predictions: predictions,
                                                 warn: { note("warning: " + $0) }, tick: tick)
            return (run, modelPath, classifier)
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// Runs every capture and returns the pooled score and the model path used.
    func score() throws -> (score: EventScore, model: String) {
        var settings = DaemonSettings()
        if let configPath {
            do { settings = try DaemonConfigFile.load(path: configPath) } catch { throw CommandFailure("\(error)") }
        }
        // Every input is checked before the first (slow) replay.
        var tracks: [LabelTrack] = []
        for (index, capture) in captures.enumerated() {
            guard FileManager.default.fileExists(atPath: capture) else {
                throw CommandFailure("capture not found: \(capture)")
            }
            let sidecar = Self.sidecar(of: capture, index: index, labels: labels)
            guard FileManager.default.fileExists(atPath: sidecar) else {
                throw CommandFailure("label sidecar not found: \(sidecar) (for \(capture); give --labels FILE)")
            }
            do { tracks.append(try LabelTrack(contentsOf: sidecar)) } catch { throw CommandFailure("\(error)") }
        }
        var head: (calibration: HeadCalibration, path: String)?
        if let headPath {
            do { head = (try HeadCalibration.load(path: headPath), headPath) } catch { throw CommandFailure("\(error)") }
        }
        var output: FileHandle?
        if let eventsOut {
            guard FileManager.default.createFile(atPath: eventsOut, contents: nil),
                  let handle = FileHandle(forWritingAtPath: eventsOut) else {
                throw CommandFailure("cannot write the events file \(eventsOut)")
            }
            output = handle
        }
        defer { try? output?.close() }

        var models: [String] = []
        var scorer = EventScorer(settings: EventScorer.Settings(toleranceSeconds: toleranceSeconds,
                                                                fallLabel: settings.pipeline.smoother.fallLabel,
                                                                idleLabel: settings.pipeline.smoother.idleLabel))
        var encoder = NDJSONEncoder()
        let note: (String) -> Void = { line in
            if let progress = self.progress { progress.note(line) } else { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        progress?.update(done: 0)
        defer { progress?.finish() }
        for (index, (capture, track)) in zip(captures, tracks).enumerated() {
            let count = Double(captures.count)
            let (run, modelPath, _) = try Self.replay(
                capture: capture, model: model, settings: settings, predictions: output != nil, head: head,
                searchPath: .standard(configPath: configPath), note: note) { within in
                progress?.update(done: index, fraction: within.map { (Double(index) + $0) / count })
            }
            if !models.contains(modelPath) { models.append(modelPath) }
            if let output {
                var bytes: [UInt8] = []
                for event in run.events { bytes += encoder.encode(event) }
                output.write(Data(bytes))
            }
            scorer.add(captureEvents: run.events, track: track, origin: run.firstTimestamp ?? 0, duration: run.duration)
            progress?.update(done: index + 1)
        }
        return (scorer.score, models.joined(separator: ", "))
    }

    /// The score as one JSON object (keys sorted; undefined figures are `null`).
    func runJSON() throws -> String {
        let (score, modelPath) = try score()
        let object = score.jsonObject(model: modelPath, captures: captures.count, tolerance: toleranceSeconds)
        return try JSONLine.string(object)
    }

    /// The score as a readable table.
    func runText() throws -> String {
        let (score, modelPath) = try score()
        return score.text(model: modelPath, captures: captures.count, tolerance: toleranceSeconds)
    }
}

