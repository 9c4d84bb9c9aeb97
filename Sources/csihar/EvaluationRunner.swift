import CSICapture
import CSIFeatures
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

    /// The WiAR files (`csi_a{activity}_{trial}.dat`) under `directory`, sorted, labelled by activity.
    static func wiar(directory: String) throws -> [EvaluationInput] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw EvaluationError("\(directory): cannot list the directory")
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
        return inputs.sorted { $0.path < $1.path }
    }
}

/// An error of `csihar evaluate` with its message.
struct EvaluationError: Error, CustomStringConvertible {
    /// The message.
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs labelled recordings through the daemon's feature code (``FeaturePipeline``) and a ``WindowClassifier``,
/// collecting an ``EvaluationReport``. Windows are classified in batches; state is reused across recordings.
final class EvaluationRunner {
    /// The model.
    let classifier: any WindowClassifier
    /// The window pipeline settings (the model's steps and rate; `hopSeconds` between windows).
    let config: FeaturePipelineConfig
    /// Fraction of a capture window its sidecar label must cover.
    let minimumCoverage: Double
    /// Windows per classifier call.
    let batchSize: Int
    /// The figures so far.
    private(set) var report: EvaluationReport

    /// The input normaliser (the model's frozen constants).
    private let normalizer: Normalizer
    /// Pending windows, (batchSize, steps, features).
    private var batch: [Float]
    /// Recording name and true class of every pending window.
    private var pending: [(name: String, label: Int)] = []

    init(classifier: any WindowClassifier, hopSeconds: Double, minimumCoverage: Double = 0.6,
         batchSize: Int = 256) throws {
        guard classifier.features == classifier.transform.featureCount else {
            throw EvaluationError("model input.features is \(classifier.features); \(classifier.transform) makes "
                                  + "\(classifier.transform.featureCount)")
        }
        self.classifier = classifier
        self.config = FeaturePipelineConfig(steps: classifier.steps, sampleRateHz: classifier.sampleRateHz,
                                            hopSeconds: hopSeconds, transform: classifier.transform)
        self.minimumCoverage = minimumCoverage
        self.batchSize = max(1, batchSize)
        do {
            normalizer = try Normalizer(classifier.normalization, features: classifier.features)
        } catch {
            throw EvaluationError("model \(error)")
        }
        report = EvaluationReport(labels: classifier.labels)
        batch = [Float](repeating: 0, count: self.batchSize * classifier.steps * classifier.features)
    }

    /// Evaluates one recording; a recording that cannot be read is recorded as a failure, not thrown.
    func evaluate(_ input: EvaluationInput) throws {
        let reader: any CaptureReader
        do {
            reader = try CaptureFile.open(path: input.path,
                                          options: CaptureOptions(hostTimePath: input.ignoreHostTime ? "" : nil))
        } catch {
            report.failures.append((input.path, "\(error)"))
            return
        }
        let pipeline = FeaturePipeline(config: config)
        var origin: Double?
        var windows = 0
        var failure: String?
        var classifyError: Error?
        let onWindow: (FeatureWindow) -> Void = { window in
            guard classifyError == nil, let (name, label) = self.labelOf(window, input: input, origin: origin) else {
                self.report.skippedWindows += 1
                return
            }
            windows += 1
            do { try self.append(window.values, name: name, label: label) } catch { classifyError = error }
        }
        do {
            while let frame = try reader.nextFrame() {
                if origin == nil { origin = frame.timestamp }
                do { try pipeline.push(frame, onWindow: onWindow) } catch { failure = "\(error)"; break }
            }
        } catch {
            failure = "\(error)"
        }
        pipeline.finish(onWindow: onWindow)
        if let classifyError { throw classifyError }
        if let failure { report.failures.append((input.path, failure)) }
        else if windows == 0 { report.failures.append((input.path, "no labelled window (shorter than a window?)")) }
    }

    /// Classifies the pending windows.
    func flush() throws {
        guard !pending.isEmpty else { return }
        let count = pending.count
        let size = config.steps * config.featureCount
        let input = count == batchSize ? batch : Array(batch[0..<(count * size)])
        let logits = try classifier.logits(input, count: count)          // (count, classes)
        let classes = classifier.labels.count
        guard logits.count == count * classes else {
            throw EvaluationError("model returned \(logits.count) logits for \(count) windows x \(classes) classes")
        }
        var probabilities = [Float](repeating: 0, count: classes)        // (classes,)
        for w in 0..<count {
            softmax(logits, offset: w * classes, into: &probabilities)
            probabilities.withUnsafeBufferPointer {
                report.add(recording: pending[w].name, label: pending[w].label, probabilities: $0)
            }
        }
        pending.removeAll(keepingCapacity: true)
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

    /// Normalises one window into the batch; classifies when the batch is full.
    private func append(_ values: UnsafeBufferPointer<Float>, name: String, label: Int) throws {
        let size = config.steps * config.featureCount
        let offset = pending.count * size
        batch.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<size { buffer[offset + i] = values[i] }
            normalizer.apply(windows: UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + size)]),
                             steps: config.steps)
        }
        pending.append((name, label))
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
