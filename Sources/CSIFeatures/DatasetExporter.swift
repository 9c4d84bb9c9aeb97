import CSICapture
import Foundation

/// One labelled recording given to ``DatasetExporter``.
public struct DatasetRecording: Sendable, Hashable {
    /// Capture path.
    public var path: String
    /// Whole-recording label (WiAR), or nil when `track` labels the windows.
    public var label: String?
    /// Per-interval labels (capture + sidecar).
    public var track: LabelTrack?
    /// Trial number, when known.
    public var trial: Int?
    /// Setting the recording belongs to (e.g. `distance-3m`, `height-60cm`, `room-17`), for cross-setting splits.
    public var group: String

    /// Creates a recording description.
    public init(path: String, label: String? = nil, track: LabelTrack? = nil, trial: Int? = nil, group: String) {
        self.path = path
        self.label = label
        self.track = track
        self.trial = trial
        self.group = group
    }
}

/// What happened to one recording.
public struct DatasetRecordingSummary: Sendable {
    /// Frames read.
    public var frames = 0
    /// Windows kept.
    public var windows = 0
    /// Windows skipped (no label covering enough of them, or a label outside the label list).
    public var skippedWindows = 0
    /// Reader issues (corrupt records skipped) by kind.
    public var issues: [String: Int] = [:]
    /// Frames dropped by the resampler (duplicate or out-of-order timestamps) and grid resets at gaps.
    public var duplicates = 0, outOfOrder = 0, gapResets = 0
    /// Set when the recording could not supply the feature layout (no window kept).
    public var error: String?
}

/// Builds a training set with the daemon's own feature code (``FeaturePipeline``): `X.npy` float32
/// (N, steps, features) un-normalised, `y.npy` int64 (N,), `recording.npy` int32 (N,), `meta.json`
/// (docs/features.md, "Dataset export").
public final class DatasetExporter {
    /// Pipeline settings (steps, rate, hop, resampling, feature options).
    public let config: FeaturePipelineConfig
    /// Label order: `y` is the index into it.
    public let labels: [String]
    /// A window takes a sidecar label only if that label covers more than this fraction of it.
    public let minimumCoverage: Double
    /// Label for windows no interval covers enough (nil: skip them).
    public let unlabeled: String?
    /// A label that any other covering more than `minimumCoverage` overrides (``LabelTrack/label(start:end:minimumCoverage:background:)``),
    /// e.g. `idle`: a short fall between idle periods labels the windows that hold it. `nil`: the label covering most.
    public var backgroundLabel: String?
    /// Keep only the first this many receive chains of every frame (`nil`: all), e.g. 2-chain data from 3-chain
    /// captures.
    public var maxChains: Int?

    private let output: String
    private let xWriter: NumpyFloatStreamWriter
    private var y: [Int64] = []
    private var recordingIndex: [Int32] = []
    private var recordings: [[String: Any]] = []

    /// Creates `outputDirectory` and starts `X.npy`.
    public init(outputDirectory: String, config: FeaturePipelineConfig, labels: [String], minimumCoverage: Double = 0.6,
                unlabeled: String? = nil) throws {
        self.config = config
        self.labels = labels
        self.minimumCoverage = minimumCoverage
        self.unlabeled = unlabeled
        output = outputDirectory
        do { try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true) } catch {
            throw NumpyFile.FormatError(path: outputDirectory, reason: "cannot create the output directory (\(FileErrorReason.describe(error)))")
        }
        xWriter = try NumpyFloatStreamWriter(path: outputDirectory + "/X.npy",
                                             innerShape: [config.steps, config.featureCount])
    }

    /// Windows written so far.
    public var windowCount: Int { y.count }

    /// Runs one recording through fresh ``FeaturePipeline``s, one per transmitter as the daemon makes one stream per
    /// transmitter (a neighbour's frames in the same capture must not enter the person's windows), and keeps their
    /// labelled windows. Label times count from the recording's first frame, whichever transmitter sent it.
    @discardableResult
    public func add(_ recording: DatasetRecording, reader: any CaptureReader) throws -> DatasetRecordingSummary {
        var summary = DatasetRecordingSummary()
        let id = recordings.count
        var pipelines: [[UInt8]?: FeaturePipeline] = [:]      // by transmitter address
        var firstTimestamp: Double?
        var failure: FeatureError?
        var writeError: Error?
        let onWindow: (FeatureWindow) -> Void = { window in
            guard writeError == nil else { return }
            let name: String?
            if let label = recording.label {
                name = label
            } else if let track = recording.track, let origin = firstTimestamp {
                name = track.label(start: window.startTime - origin, end: window.endTime - origin,
                                   minimumCoverage: self.minimumCoverage, background: self.backgroundLabel)
                    ?? self.unlabeled
            } else {
                name = self.unlabeled
            }
            guard let name, let index = self.labels.firstIndex(of: name) else { summary.skippedWindows += 1; return }
            do { try self.xWriter.append(window.values) } catch { writeError = error; return }
            self.y.append(Int64(index))
            self.recordingIndex.append(Int32(id))
            summary.windows += 1
        }
        while let frame = try reader.nextFrame() {
            summary.frames += 1
            if firstTimestamp == nil { firstTimestamp = frame.timestamp }
            let frame = maxChains.map { frame.keepingReceiveChains($0) } ?? frame
            let key = frame.source.transmitter
            let pipeline = pipelines[key] ?? FeaturePipeline(config: config)
            pipelines[key] = pipeline
            do {
                try pipeline.push(frame, onWindow: onWindow)
            } catch {
                failure = error
                break
            }
        }
        // finished in the order of their printed addresses (no per-frame string: the key is the address bytes)
        let name = { (key: [UInt8]?) in CSISourceID(transmitter: key).transmitterString }
        for key in pipelines.keys.sorted(by: { name($0) < name($1) }) { pipelines[key]!.finish(onWindow: onWindow) }
        if let writeError { throw writeError }
        summary.issues = reader.issueCounts
        for pipeline in pipelines.values {
            summary.duplicates += pipeline.resampler.duplicates
            summary.outOfOrder += pipeline.resampler.outOfOrder
            summary.gapResets += pipeline.resampler.gapResets
        }
        if let failure { summary.error = failure.description }
        var entry: [String: Any] = ["id": id, "path": recording.path, "group": recording.group, "windows": summary.windows]
        entry["label"] = recording.label ?? NSNull()
        entry["trial"] = recording.trial ?? NSNull()
        recordings.append(entry)
        return summary
    }

    /// Adds ready-made windows (UT-HAR arrays): `windows` (count, steps, features) row-major, labels as indices.
    public func addWindows(_ windows: [Float], labelIndices: [Int], path: String, group: String) throws {
        let size = config.steps * config.featureCount
        precondition(windows.count == labelIndices.count * size, "addWindows: shape mismatch")
        let id = recordings.count
        try windows.withUnsafeBufferPointer { buffer in
            for (n, label) in labelIndices.enumerated() {
                try xWriter.append(UnsafeBufferPointer(rebasing: buffer[(n * size)..<((n + 1) * size)]))
                y.append(Int64(label))
                recordingIndex.append(Int32(id))
            }
        }
        recordings.append(["id": id, "path": path, "group": group, "label": NSNull(), "trial": NSNull(),
                           "windows": labelIndices.count])
    }

    /// Writes `y.npy`, `recording.npy`, `meta.json` and finalises `X.npy`. `extra` is merged into meta.json.
    public func finish(extra: [String: Any] = [:]) throws {
        try xWriter.finish()
        try NumpyFile.write(path: output + "/y.npy", int64: y)
        try NumpyFile.write(path: output + "/recording.npy", int32: recordingIndex)
        var input: [String: Any] = ["steps": config.steps, "features": config.featureCount,
                                    "sample_rate_hz": config.sampleRateHz, "layout": config.transform.layout,
                                    "transform": config.transform.name]
        for (key, value) in config.transform.parameters { input[key] = value }
        var meta: [String: Any] = [
            "labels": labels,
            "input": input,
            "hop_steps": config.hopSteps,
            "points_per_step": config.resampler.pointsPerStep,
            "max_hold_seconds": config.resampler.maxHoldSeconds,
            "recordings": recordings,
            "min_coverage": minimumCoverage,
        ]
        if let backgroundLabel { meta["background_label"] = backgroundLabel }
        for (key, value) in extra { meta[key] = value }
        let data = try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        do { try data.write(to: URL(fileURLWithPath: output + "/meta.json")) } catch {
            throw NumpyFile.FormatError(path: output + "/meta.json", reason: "cannot write (\(FileErrorReason.describe(error)))")
        }
    }
}
