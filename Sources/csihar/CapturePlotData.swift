import CSICapture
import CSIDaemon
import CSIEvents
import CSIFeatures
import Foundation

/// What `csihar plot` draws, gathered from one capture: its first stream's CSI amplitudes per receive chain
/// (``CapturePlotHeatmap``), the label sidecar, and the model's per-window probabilities and the events csihard
/// would publish for that stream, from the same replay `csihar evaluate --events` makes
/// (``EventEvaluation/replay(capture:model:settings:predictions:)``). Times are seconds from the capture's first
/// frame, as in label sidecars.
struct CapturePlotData {
    /// One window's class probabilities, at the window's centre.
    struct Prediction {
        /// Window centre (s).
        var time: Double
        /// Probabilities aligned with ``CapturePlotData/classes``.
        var probabilities: [Float]
    }

    /// An activity as the events report it: `activity.started` (its `start_time`) to `activity.ended`
    /// (`start_time + duration`).
    struct ActivitySpan {
        /// The activity label.
        var label: String
        /// Estimated start and end (s).
        var start: Double, end: Double
        /// Mean confidence while it lasted (the `activity.ended` event's).
        var confidence: Double
    }

    /// A `fall.detected` event.
    struct Fall {
        /// When the fall happened (`fall_time`, s).
        var time: Double
        /// When the daemon published it (the event's `time`, s).
        var reported: Double
        /// Smoothed fall confidence.
        var confidence: Double
    }

    /// The capture path as given.
    var capture: String
    /// The stream plotted (`source|transmitter`, the daemon's key) and its device name.
    var stream: String, device: String
    /// Seconds from the first frame to the last frame of the capture.
    var duration: Double
    /// Measurements per second of the plotted stream.
    var rate: Double
    /// The amplitudes.
    var heatmap: CapturePlotHeatmap
    /// The label sidecar used, and its intervals (nil: none).
    var labelsPath: String?, truth: LabelTrack?
    /// The model file and its description (name, architecture, file).
    var modelPath: String, modelName: String
    /// Seconds one window covers and the class labels, in the model's order.
    var windowSeconds: Double, classes: [String]
    /// The stream's window probabilities, in time order.
    var predictions: [Prediction]
    /// The stream's activities and falls as published.
    var spans: [ActivitySpan], falls: [Fall]

    /// Gathers everything for `capture`: `labels` (nil: `<capture without extension>.labels.csv` when it exists),
    /// `model` (nil: the one csihard's routes give the capture), `settings` (pipeline, smoother, routes),
    /// `maxColumns` heatmap time columns at most. Errors are one line naming the path.
    static func load(capture: String, labels: String?, model: String?, settings: DaemonSettings,
                     maxColumns: Int) throws -> CapturePlotData {
        guard FileManager.default.fileExists(atPath: capture) else { throw CommandFailure("capture not found: \(capture)") }
        let defaultSidecar = EventEvaluation.sidecar(of: capture, index: 0, labels: [])
        let labelsPath = labels ?? (FileManager.default.fileExists(atPath: defaultSidecar) ? defaultSidecar : nil)
        var truth: LabelTrack?
        if let labelsPath {
            guard FileManager.default.fileExists(atPath: labelsPath) else {
                throw CommandFailure("label sidecar not found: \(labelsPath)")
            }
            do { truth = try LabelTrack(contentsOf: labelsPath) } catch { throw CommandFailure("\(error)") }
        }
        if let model, !FileManager.default.fileExists(atPath: model) { throw CommandFailure("model not found: \(model)") }

        let (run, modelPath, classifier) = try EventEvaluation.replay(capture: capture, model: model, settings: settings,
                                                                       predictions: true)
        guard let origin = run.firstTimestamp else { throw CommandFailure("\(capture): no frames") }
        guard let (stream, device) = run.events.lazy.compactMap({ event -> (String, String)? in
            guard case .streamUp(_, let device) = event.payload, let stream = event.stream else { return nil }
            return (stream, device)
        }).first else { throw CommandFailure("\(capture): the daemon saw no stream in it") }

        let windowSeconds = Double(classifier.steps) / classifier.sampleRateHz
        var data = CapturePlotData(capture: capture, stream: stream, device: device, duration: run.duration, rate: 0,
                                   heatmap: CapturePlotHeatmap(), labelsPath: labelsPath, truth: truth,
                                   modelPath: modelPath, modelName: classifier.name, windowSeconds: windowSeconds,
                                   classes: classifier.labels, predictions: [], spans: [], falls: [])
        data.collectEvents(run.events, origin: origin)
        data.heatmap = try CapturePlotHeatmap.read(capture: capture, stream: stream, grouping: settings.pipeline.grouping,
                                                   origin: origin, duration: run.duration,
                                                   columns: max(1, min(maxColumns, run.frames)))
        data.rate = data.heatmap.measurements > 1 && data.heatmap.span > 0
            ? Double(data.heatmap.measurements - 1) / data.heatmap.span : 0
        return data
    }

    /// Keeps the plotted stream's predictions (moved to window centres), activity spans and falls.
    private mutating func collectEvents(_ events: [Event], origin: Double) {
        var open: (label: String, start: Double)?
        for event in events where event.stream == stream {
            let time = event.time - origin
            switch event.payload {
            case .prediction(let labels, let probabilities, _) where labels == classes:
                predictions.append(Prediction(time: time - windowSeconds / 2, probabilities: probabilities))
            case .activityStarted(let activity, _, let startTime):
                open = (activity, (startTime ?? event.time) - origin)
            case .activityEnded(let activity, let confidence, let length):
                let start = open?.label == activity ? open!.start : time - length
                spans.append(ActivitySpan(label: activity, start: start, end: start + length, confidence: confidence))
                open = nil
            case .fallDetected(let confidence, let fallTime):
                falls.append(Fall(time: (fallTime ?? event.time) - origin, reported: time, confidence: confidence))
            default:
                break
            }
        }
        if let open { spans.append(ActivitySpan(label: open.label, start: open.start, end: duration, confidence: 0)) }
    }
}
