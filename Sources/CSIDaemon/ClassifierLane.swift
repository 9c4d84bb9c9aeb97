import CSIEvents
import CSIFeatures

/// One loaded model inside ``DaemonPipeline`` and the windows waiting for it: every stream routed to the model
/// puts its windows here, and they are classified together in one batch per burst (streams of different models
/// go to different lanes). Owned by the pipeline thread.
final class ClassifierLane {
    /// The model.
    let classifier: any WindowClassifier
    /// The model, when it keeps per-stream steps (windows are then named by slot and end position).
    let streaming: (any StreamingWindowClassifier)?
    /// Most windows per batch.
    let maxBatch: Int
    /// Half a window (seconds); an activity first leads this plus half the averaging span after its onset.
    let halfWindowSeconds: Double

    /// Pending windows, (maxBatch, steps, features) (batch classifiers only).
    var windows: [Float]
    /// Per pending window of a streaming classifier: its slot and end position.
    var slots: [Int] = [], ends: [Int] = []
    /// Pending probabilities, (maxBatch, classes).
    var probabilities: [Float]
    /// Per pending window: its stream, end capture time, motion energy, monotonic time its last frame arrived.
    var streams: [DaemonPipeline.Stream] = []
    var endTimes: [Double] = [], motion: [Double] = [], arrival: [Double] = []

    /// Creates an empty lane for `classifier`.
    init(classifier: any WindowClassifier, maxBatch: Int) {
        self.classifier = classifier
        self.maxBatch = maxBatch
        streaming = classifier as? any StreamingWindowClassifier
        halfWindowSeconds = Double(classifier.steps) / classifier.sampleRateHz / 2
        windows = [Float](repeating: 0, count: streaming == nil ? maxBatch * classifier.steps * classifier.features : 0)
        probabilities = [Float](repeating: 0, count: maxBatch * max(1, classifier.labels.count))
        slots.reserveCapacity(maxBatch)
        ends.reserveCapacity(maxBatch)
        streams.reserveCapacity(maxBatch)
    }

    /// Windows waiting.
    var count: Int { streams.count }

    /// The feature settings its streams' windows are made with (the model's steps, rate and transform); a streaming
    /// model keeps the steps itself, so its windows carry no values.
    func featureConfig(hopSeconds: Double) -> FeaturePipelineConfig {
        var config = FeaturePipelineConfig(steps: classifier.steps, sampleRateHz: classifier.sampleRateHz,
                                           hopSeconds: hopSeconds, transform: classifier.transform)
        config.windowValues = streaming == nil
        return config
    }

    /// The smoother settings of its streams: `base` with the model's labels and declared smoother values
    /// (``ModelSmootherDefaults``) for the keys not in `configured` (those a config file's `[smoother]` sets), and
    /// the onset lead (seconds from an activity's onset to when it first leads: half a window plus half the
    /// averaging span).
    func smootherConfig(_ base: SmootherConfig, configured: Set<String>) -> SmootherConfig {
        var config = base
        config.labels = classifier.labels
        config = classifier.smootherDefaults.applied(to: config, except: configured)
        config.onsetLeadSeconds = halfWindowSeconds + config.averagingSeconds / 2
        return config
    }

    /// Adds a window of `stream` (a batch model's must have the model's size, or it is dropped: false).
    func enqueue(_ window: FeatureWindow, stream: DaemonPipeline.Stream, arrival time: Double) -> Bool {
        let size = classifier.steps * classifier.features
        if let streaming, let slot = stream.slot {
            let end = streaming.position(of: slot)
            slots.append(slot)
            ends.append(end)
            if stream.oldestPendingEnd == nil { stream.oldestPendingEnd = end }
        } else {
            guard window.values.count == size else { return false }
            let row = streams.count
            windows.withUnsafeMutableBufferPointer { out in
                _ = UnsafeMutableBufferPointer(rebasing: out[(row * size)..<((row + 1) * size)]).initialize(from: window.values)
            }
        }
        streams.append(stream)
        endTimes.append(window.endTime)
        motion.append(window.motionEnergy)
        arrival.append(time)
        return true
    }

    /// Classifies the pending windows into ``probabilities`` (count rows).
    func classify() throws {
        let count = streams.count, classes = classifier.labels.count
        if let streaming {
            try slots.withUnsafeBufferPointer { slots in
                try ends.withUnsafeBufferPointer { ends in
                    try probabilities.withUnsafeMutableBufferPointer { out in
                        try streaming.classify(slots: slots, ends: ends,
                                               into: UnsafeMutableBufferPointer(rebasing: out[0..<(count * classes)]))
                    }
                }
            }
        } else {
            let size = classifier.steps * classifier.features
            try windows.withUnsafeMutableBufferPointer { windows in
                try probabilities.withUnsafeMutableBufferPointer { out in
                    try classifier.classify(windows: UnsafeMutableBufferPointer(rebasing: windows[0..<(count * size)]),
                                            batch: count, into: UnsafeMutableBufferPointer(rebasing: out[0..<(count * classes)]))
                }
            }
        }
    }

    /// Forgets the pending windows.
    func clear() {
        for stream in streams { stream.oldestPendingEnd = nil }
        slots.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        streams.removeAll(keepingCapacity: true)
        endTimes.removeAll(keepingCapacity: true)
        motion.removeAll(keepingCapacity: true)
        arrival.removeAll(keepingCapacity: true)
    }
}
