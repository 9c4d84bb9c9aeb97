import CSICapture
import CSIDaemon
import CSIFeatures
import CSIInference
import Foundation

/// One labelled input of `csihar evaluate`.
struct EvaluationInput {
    /// Capture file path.
    var path: String
    /// The class of the whole recording (WiAR), or nil when `track` labels it.
    var label: String?
    /// Label sidecar of a capture (windows take the activity covering more than `minimumCoverage` of them).
    var track: LabelTrack?
    /// Whether to use the Intel `timestamp_low` clock (WiAR: ignore any `.datstp` host-time file).
    var ignoreHostTime = false
    /// Whether its windows calibrate the head (`--calibration-shots`, `--calibration-capture`) instead of being
    /// evaluated.
    var calibration = false

    /// The WiAR files (`csi_a{activity}_{trial}.dat`) under `directory`, sorted, labelled by activity.
    static func wiar(directory: String) throws -> [EvaluationInput] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw CommandFailure("\(directory): no such directory (--wiar takes a folder of WiAR recordings)")
        }
        guard isDirectory.boolValue else {
            throw CommandFailure("\(directory): not a directory (--wiar takes a folder of WiAR recordings)")
        }
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw CommandFailure("\(directory): cannot list the directory")
        }
        var inputs: [EvaluationInput] = []
        for case let relative as String in enumerator where relative.hasSuffix(".dat") {
            let name = (relative as NSString).lastPathComponent
            let parts = name.dropFirst("csi_a".count).dropLast(".dat".count).split(separator: "_")
            guard name.hasPrefix("csi_a"), parts.count == 2, let activity = Int(parts[0]), Int(parts[1]) != nil,
                  (1...DatasetExportCommand.wiarLabels.count).contains(activity) else { continue }
            inputs.append(EvaluationInput(path: directory + "/" + relative,
                                          label: DatasetExportCommand.wiarLabels[activity - 1], ignoreHostTime: true))
        }
        guard !inputs.isEmpty else {
            throw CommandFailure("\(directory): no WiAR recordings (csi_a<activity>_<trial>.dat) in this folder or below")
        }
        return inputs.sorted { $0.path < $1.path }
    }
}

/// Runs labelled recordings through the daemon's feature code (``FeaturePipeline``) and the daemon's classifier
/// (``WindowClassifier``; the model file's is ``ModelClassifier``, which normalises the raw windows itself),
/// keeping every window's embedding (the input of the model's final classifier layer, ``EmbeddingClassifier``) with
/// its recording and class; ``report`` applies the model's head to them, ``report(head:)`` any other head (a
/// calibrated one) to the same windows. A classifier without embeddings is kept as log-probabilities with the
/// identity head. Windows are classified in batches; state is reused across recordings.
final class EvaluationRunner {
    /// The model.
    let classifier: any WindowClassifier
    /// The same, when it exposes embeddings and its head.
    private let embedding: (any EmbeddingClassifier)?
    /// E, the width of a kept embedding (the number of classes without an ``EmbeddingClassifier``).
    let embeddingSize: Int
    /// The model's head (the identity without an ``EmbeddingClassifier``).
    let head: ClassifierHead
    /// The window pipeline settings (the model's steps and rate; `hopSeconds` between windows).
    let config: FeaturePipelineConfig
    /// Fraction of a capture window its sidecar label must cover.
    let minimumCoverage: Double
    /// Windows per classifier call.
    let batchSize: Int

    /// One classified window.
    struct Window {
        /// Its recording (a WiAR file, or a sidecar activity `path#start-end`).
        var name: String
        /// True class index.
        var label: Int
        /// From a calibration input.
        var calibration: Bool
    }

    /// Every classified window, in order.
    private(set) var windows: [Window] = []
    /// Their embeddings, (windows.count, E).
    private(set) var embeddings: [Float] = []
    /// The windows of each classifier call (the head is applied in the same batches, so that the model's head
    /// gives exactly the model's logits).
    private var batches: [Range<Int>] = []
    /// Skipped windows and failed recordings.
    private var base: EvaluationReport

    /// The figures so far, with the model's own head, over the evaluation (non-calibration) windows.
    var report: EvaluationReport {
        do {
            return try report(head: head)
        } catch {
            var failed = base
            failed.failures.append(("head", "\(error)"))
            return failed
        }
    }

    /// Pending raw windows, (batchSize, steps, features).
    private var batch: [Float]
    /// Recording name, true class and calibration flag of every pending window.
    private var pending: [Window] = []

    init(classifier: any WindowClassifier, hopSeconds: Double, minimumCoverage: Double = 0.6,
         batchSize: Int = 256) throws {
        guard classifier.features == classifier.transform.featureCount else {
            throw CommandFailure("model input.features is \(classifier.features); \(classifier.transform) makes "
                                 + "\(classifier.transform.featureCount)")
        }
        self.classifier = classifier
        self.config = FeaturePipelineConfig(steps: classifier.steps, sampleRateHz: classifier.sampleRateHz,
                                            hopSeconds: hopSeconds, transform: classifier.transform)
        self.minimumCoverage = minimumCoverage
        self.batchSize = max(1, batchSize)
        embedding = classifier as? any EmbeddingClassifier
        let classes = classifier.labels.count
        if let embedding {
            embeddingSize = embedding.embeddingSize
            head = embedding.head
        } else {
            embeddingSize = classes
            var identity = [Float](repeating: 0, count: classes * classes)
            for c in 0..<classes { identity[c * classes + c] = 1 }
            head = try ClassifierHead(weight: identity, bias: [Float](repeating: 0, count: classes), classes: classes,
                                      inputs: classes)
        }
        base = EvaluationReport(labels: classifier.labels)
        batch = [Float](repeating: 0, count: self.batchSize * classifier.steps * classifier.features)
    }

    /// Evaluates one recording; a recording that cannot be read is recorded as a failure, not thrown. `tick` is
    /// called every 256 frames with the share of the file read so far (nil when the reader cannot tell).
    func evaluate(_ input: EvaluationInput, tick: ((Double?) -> Void)? = nil) throws {
        let reader: any CaptureReader
        do {
            reader = try CaptureFile.open(path: input.path,
                                          options: CaptureOptions(hostTimePath: input.ignoreHostTime ? "" : nil))
        } catch {
            base.failures.append((input.path, "\(error)"))
            return
        }
        let pipeline = FeaturePipeline(config: config)
        let fraction = CaptureFraction(path: input.path, reader: reader)
        var frames = 0
        var origin: Double?
        var windows = 0
        var failure: String?
        var classifyError: Error?
        let onWindow: (FeatureWindow) -> Void = { window in
            guard classifyError == nil, let (name, label) = self.labelOf(window, input: input, origin: origin) else {
                self.base.skippedWindows += 1
                return
            }
            windows += 1
            do { try self.append(window.values, Window(name: name, label: label, calibration: input.calibration)) }
            catch { classifyError = error }
        }
        do {
            while let frame = try reader.nextFrame() {
                frames += 1
                if let tick, frames % 256 == 0 { tick(fraction.value) }
                if origin == nil { origin = frame.timestamp }
                do { try pipeline.push(frame, onWindow: onWindow) } catch { failure = "\(error)"; break }
            }
        } catch {
            failure = "\(error)"
        }
        pipeline.finish(onWindow: onWindow)
        if let classifyError { throw classifyError }
        if let failure { base.failures.append((input.path, failure)) }
        else if windows == 0 { base.failures.append((input.path, "no labelled window (shorter than a window?)")) }
    }

    /// Classifies the pending windows (their embeddings are kept).
    func flush() throws {
        guard !pending.isEmpty else { return }
        let count = pending.count
        let size = config.steps * config.featureCount
        let width = embeddingSize
        var embedded = [Float](repeating: 0, count: count * width)           // (count, E)
        try batch.withUnsafeMutableBufferPointer { all in
            let input = UnsafeMutableBufferPointer(rebasing: all[0..<(count * size)])   // normalised in place
            try embedded.withUnsafeMutableBufferPointer { out in
                if let embedding {
                    try embedding.embeddings(windows: input, batch: count, into: out)
                } else {
                    try classifier.classify(windows: input, batch: count, into: out)   // probabilities -> log
                    for i in out.indices { out[i] = logf(max(out[i], .leastNormalMagnitude)) }
                }
            }
        }
        batches.append(windows.count..<(windows.count + count))
        windows += pending
        embeddings += embedded
        pending.removeAll(keepingCapacity: true)
    }

    /// The figures of the evaluation (non-calibration) windows classified so far, through `head`: probabilities
    /// `softmax(embedding · Wᵀ + b)`, applied per classifier batch.
    func report(head: ClassifierHead) throws -> EvaluationReport {
        var report = base
        let classes = classifier.labels.count
        let width = embeddingSize
        guard head.classes == classes, head.inputs == width else {
            throw CommandFailure("head is \(head.classes) classes x \(head.inputs) inputs; the model has \(classes) x \(width)")
        }
        var probabilities = [Float](repeating: 0, count: classes)        // (classes,)
        var logits = [Float](repeating: 0, count: batchSize * classes)   // (batchSize, classes)
        for range in batches {
            embeddings.withUnsafeBufferPointer { e in
                logits.withUnsafeMutableBufferPointer { out in
                    head.logits(embeddings: e.baseAddress! + range.lowerBound * width, rows: range.count, into: out.baseAddress!)
                }
            }
            for (row, w) in range.enumerated() where !windows[w].calibration {
                softmax(logits, offset: row * classes, into: &probabilities)
                probabilities.withUnsafeBufferPointer {
                    report.add(recording: windows[w].name, label: windows[w].label, probabilities: $0)
                }
            }
        }
        return report
    }

    /// The calibration windows: embeddings (n, E), labels (n), and the number of recordings they come from.
    var calibrationSet: (embeddings: [Float], labels: [Int], recordings: Int) {
        let width = embeddingSize
        var values: [Float] = []
        var labels: [Int] = []
        var recordings = Set<String>()
        for (w, window) in windows.enumerated() where window.calibration {
            values += embeddings[(w * width)..<((w + 1) * width)]
            labels.append(window.label)
            recordings.insert(window.name)
        }
        return (values, labels, recordings.count)
    }

    /// Recording name and class index of a window, or nil to skip it.
    private func labelOf(_ window: FeatureWindow, input: EvaluationInput, origin: Double?) -> (String, Int)? {
        if let label = input.label {
            guard let index = classifier.labels.firstIndex(of: label) else { return nil }
            return (input.path, index)
        }
        guard let track = input.track, let origin else { return nil }
        let start = window.startTime - origin, end = window.endTime - origin
        guard let label = track.label(start: start, end: end, minimumCoverage: minimumCoverage),
              let index = classifier.labels.firstIndex(of: label) else { return nil }
        // The recording is the sidecar activity (interval) with this label that overlaps the window most.
        let interval = track.intervals.filter { $0.label == label }
            .max { min(end, $0.end) - max(start, $0.start) < min(end, $1.end) - max(start, $1.start) }
        let name = interval.map { String(format: "%@#%.3f-%.3f", input.path, $0.start, $0.end) } ?? input.path
        return (name, index)
    }

    /// Copies one raw window into the batch; classifies when the batch is full.
    private func append(_ values: UnsafeBufferPointer<Float>, _ window: Window) throws {
        let size = config.steps * config.featureCount
        let offset = pending.count * size
        batch.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<size { buffer[offset + i] = values[i] }
        }
        pending.append(window)
        if pending.count == batchSize { try flush() }
    }

    /// Numerically stable softmax of `logits[offset ..< offset + out.count]`.
    private func softmax(_ logits: [Float], offset: Int, into out: inout [Float]) {
        var peak = -Float.infinity
        for c in 0..<out.count { peak = max(peak, logits[offset + c]) }
        var total: Float = 0
        for c in 0..<out.count { out[c] = expf(logits[offset + c] - peak); total += out[c] }
        for c in 0..<out.count { out[c] /= total }
    }
}
