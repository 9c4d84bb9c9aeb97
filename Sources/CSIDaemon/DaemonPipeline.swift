import CSICapture
import CSIEvents
import CSIFeatures

/// The daemon's core, with no sockets and no threads: frames in, events out.
///
/// frame -> stream (by source + transmitter; appears on its first frame) -> ``FeaturePipeline`` (features,
/// resampling, window) -> pending batch -> ``WindowClassifier`` (all streams' windows in one batch) ->
/// ``EventSmoother`` per stream -> sequenced ``Event``s to `emit`.
/// Owned by one thread; `emit` is called on it.
public final class DaemonPipeline {
    /// Settings.
    public private(set) var config: PipelineConfig
    /// The model (`nil`: streams, windows and heartbeats only, no activity events).
    public private(set) var classifier: (any WindowClassifier)?
    /// Counters reported by heartbeats and `status`.
    public private(set) var counters = DaemonCounters()
    /// Frame-to-event latency of classified windows.
    public private(set) var latency = LatencyRecorder()
    /// Frames the sources dropped before the pipeline (load shedding); set by the runner, reported in heartbeats.
    public var framesDropped: Int {
        get { counters.framesDropped }
        set { counters.framesDropped = newValue }
    }
    /// Whether anybody wants `prediction` events (checked per batch; encoding them is skipped otherwise).
    public var wantsPredictions: () -> Bool = { true }
    /// Receives a log line for each problem published as `stream.error` once (an unusable stream, a failed batch,
    /// a lost or missing device); per-record problems are only counted.
    public var log: (String) -> Void = { _ in }

    /// Where per-stream calibration files live (`nil`: calibration requests are refused, streams run uncalibrated).
    public var calibrationStore: CalibrationStore?
    /// Calibration file problems already logged (each is logged once; the `stream.error` comes at every stream.up).
    var loggedCalibrationProblems: Set<String> = []

    /// Live streams by key.
    private(set) var streams: [String: Stream] = [:]
    /// Stream keys by capture source and radio link (transmitter, core, spatial stream).
    private var keyCache: [StreamIdentity: String] = [:]
    /// What a stream key is made of.
    struct StreamIdentity: Hashable {
        var source: String
        var link: CSISourceID
    }
    /// Monotonic clock (seconds) and wall clock (seconds since 1970).
    private let monotonic: () -> Double, wallClock: () -> Double
    /// Receives every event, sequenced.
    private let emit: (Event) -> Void
    /// Sequence numbers for this run.
    private var sequencer = EventSequencer()

    /// Pending windows, (maxBatch, steps, features) (batch classifiers; streaming ones keep the steps themselves).
    private var batchWindows: [Float] = []
    /// The classifier, when it keeps per-stream steps: windows are then named by (slot, end position).
    private(set) var streamingClassifier: (any StreamingWindowClassifier)?
    /// Per pending window of a streaming classifier: its slot and end position, (maxBatch,).
    private var batchSlots: [Int] = [], batchEnds: [Int] = []
    /// Pending probabilities, (maxBatch, classes).
    private var batchProbabilities: [Float] = []
    /// Per pending window: its stream, end capture time, motion energy, monotonic time its last frame arrived.
    private var batchStreams: [Stream] = []
    private var batchEndTimes: [Double] = [], batchMotion: [Double] = [], batchArrival: [Double] = []
    /// The frame being pushed arrived at this monotonic time.
    private var currentArrival = 0.0

    /// Creates a pipeline. `classifier` may be `nil` (no model yet).
    public init(config: PipelineConfig, classifier: (any WindowClassifier)?,
                monotonic: @escaping () -> Double, wallClock: @escaping () -> Double,
                emit: @escaping (Event) -> Void) {
        self.config = config
        self.monotonic = monotonic
        self.wallClock = wallClock
        self.emit = emit
        install(classifier)
    }

    /// The feature settings windows are made with (the model's steps and rate, the configured hop).
    public var featureConfig: FeaturePipelineConfig {
        guard let classifier else { return FeaturePipelineConfig.utHAR }
        return FeaturePipelineConfig(steps: classifier.steps, sampleRateHz: classifier.sampleRateHz,
                                     hopSeconds: config.hopSeconds, transform: classifier.transform)
    }

    /// The wall clock now (seconds since 1970).
    var wallClockNow: Double { wallClock() }

    /// Number of streams up.
    public var streamCount: Int { streams.count }

    /// A snapshot of every stream (for `status`); rates are over the time since the previous snapshot (since the
    /// stream came up for the first one).
    public func streamSnapshots() -> [StreamSnapshot] {
        let now = monotonic()
        return streams.values.sorted { $0.key < $1.key }.map { stream in
            let age = max(1e-9, now - stream.mark.time)
            defer { stream.mark = (now, stream.frames, stream.windows) }
            return StreamSnapshot(key: stream.key, source: stream.source, frames: stream.frames, windows: stream.windows,
                                  lostFrames: stream.lostFrames,
                                  framesPerSecond: Double(stream.frames - stream.mark.frames) / age,
                                  windowsPerSecond: Double(stream.windows - stream.mark.windows) / age,
                                  activity: stream.smoother.current.map { stream.smoother.config.labels[$0] },
                                  silentSeconds: max(0, now - stream.lastSeen),
                                  calibration: stream.calibration.map {
                                      StreamSnapshot.Calibration(head: $0.head != nil, baseline: $0.baseline != nil, created: $0.created)
                                  })
        }
    }

    /// Swaps the model (SIGHUP). Pending windows are classified with the old one first; streams restart their
    /// windows when the input shape changes (their activities end).
    public func replace(classifier newClassifier: (any WindowClassifier)?, config newConfig: PipelineConfig) {
        flush()
        let now = monotonic()
        for stream in streams.values {
            stream.smoother.finish(time: stream.lastCaptureTime) { publish(time: $0, stream: stream.key, payload: $1) }
        }
        config = newConfig
        install(newClassifier)
        loggedCalibrationProblems.removeAll()
        for (key, stream) in streams {
            stream.baseline.map { $0.reply(Self.errorReply("baseline rejected: the model was reloaded during it; try again")) }
            let fresh = makeStream(key: key, source: stream.source, now: now, captureTime: stream.lastCaptureTime)
            streams[key] = fresh
            loadCalibration(fresh)
        }
    }

    /// Feeds one frame from `source` that arrived at monotonic time `arrival` (default: now).
    public func ingest(_ frame: CSIFrame, source: String, arrival: Double? = nil) {
        let now = arrival ?? monotonic()
        currentArrival = now
        counters.frames += 1
        let identity = StreamIdentity(source: source, link: frame.source)
        let key: String
        if let cached = keyCache[identity] {
            key = cached
        } else {
            // `source|aa:bb:cc:dd:ee:ff[/coreN/ssM]`, built once per stream rather than per frame
            key = source + "|" + frame.source.description
            if keyCache.count > 4 * streams.count + 1024 { keyCache.removeAll(keepingCapacity: true) }
            keyCache[identity] = key
        }
        let stream: Stream
        if let existing = streams[key] {
            stream = existing
        } else {
            stream = makeStream(key: key, source: source, now: now, captureTime: frame.timestamp)
            streams[key] = stream
            counters.streams = streams.count
            publish(time: frame.timestamp, stream: key, payload: .streamUp(source: source, device: frame.device.description))
            loadCalibration(stream)
        }
        stream.lastSeen = now
        stream.lastCaptureTime = frame.timestamp
        stream.frames += 1
        if let sequence = frame.sequence {
            if let last = stream.lastSequence {
                // 802.11 sequence numbers wrap at 4096, Intel's bfee_count at 65536; a step back is a restart.
                let modulus = frame.device == .intel5300 ? 65536 : 4096
                let step = ((sequence - last) % modulus + modulus) % modulus
                if step > 1 && step < modulus / 2 { stream.lostFrames += step - 1 }
            }
            stream.lastSequence = sequence
        }
        do {
            try stream.features.push(frame) { window in enqueue(window, stream: stream) }
        } catch {
            counters.recordIssues += 1
            counters.framesRejected += 1
            // A stream that cannot supply the model's layout fails on every frame: one event per distinct reason.
            let message = "\(error)"
            guard message != stream.lastError else { return }
            stream.lastError = message
            log("\(key): cannot be classified: \(message)")
            publish(time: frame.timestamp, stream: key, payload: .streamError(kind: "features", message: message))
        }
    }

    /// Classifies every pending window and publishes the resulting events. Call after each burst of frames.
    public func flush() {
        let count = batchStreams.count
        guard count > 0 else { return }
        defer {
            for stream in batchStreams { stream.oldestPendingEnd = nil }
            batchSlots.removeAll(keepingCapacity: true)
            batchEnds.removeAll(keepingCapacity: true)
            batchStreams.removeAll(keepingCapacity: true)
            batchEndTimes.removeAll(keepingCapacity: true)
            batchMotion.removeAll(keepingCapacity: true)
            batchArrival.removeAll(keepingCapacity: true)
        }
        guard let classifier else { return }
        let classes = classifier.labels.count
        do {
            if let streamingClassifier {
                try batchSlots.withUnsafeBufferPointer { slots in
                    try batchEnds.withUnsafeBufferPointer { ends in
                        try batchProbabilities.withUnsafeMutableBufferPointer { probabilities in
                            try streamingClassifier.classify(slots: slots, ends: ends,
                                                             into: UnsafeMutableBufferPointer(rebasing: probabilities[0..<(count * classes)]))
                        }
                    }
                }
            } else {
            try batchWindows.withUnsafeMutableBufferPointer { windows in
                try batchProbabilities.withUnsafeMutableBufferPointer { probabilities in
                    try classifier.classify(windows: UnsafeMutableBufferPointer(rebasing: windows[0..<(count * classifier.steps * classifier.features)]),
                                            batch: count,
                                            into: UnsafeMutableBufferPointer(rebasing: probabilities[0..<(count * classes)]))
                }
            }
            }
        } catch {
            log("inference failed for a batch of \(count) windows: \(error)")
            publish(time: batchEndTimes[0], stream: nil, payload: .streamError(kind: "inference", message: "\(error)"))
            return
        }
        let predictions = config.predictions && wantsPredictions()
        for index in 0..<count {
            let stream = batchStreams[index]
            counters.windows += 1
            stream.windows += 1
            batchProbabilities.withUnsafeBufferPointer { all in
                let row = UnsafeBufferPointer(rebasing: all[(index * classes)..<((index + 1) * classes)])
                if predictions {
                    publish(time: batchEndTimes[index], stream: stream.key,
                            payload: .prediction(labels: classifier.labels, probabilities: Array(row), motionEnergy: batchMotion[index]))
                }
                stream.smoother.push(time: batchEndTimes[index], probabilities: row, motionEnergy: batchMotion[index]) {
                    publish(time: $0, stream: stream.key, payload: $1)
                }
                if let baseline = stream.baseline,
                   baseline.add(end: batchEndTimes[index], probabilities: row, motionEnergy: batchMotion[index]) {
                    finishBaseline(stream)
                }
            }
        }
        let done = monotonic()
        for index in 0..<count { latency.record(done - batchArrival[index]) }
    }

    /// Ends streams silent for longer than `silenceSeconds` (`stream.down`, reason `silence`).
    public func expireSilentStreams() {
        let now = monotonic()
        for stream in streams.values where now - stream.lastSeen > config.silenceSeconds {
            down(stream, reason: "silence")
        }
    }

    /// Ends every stream of `source` (it ended, or was lost) with `reason`.
    public func sourceEnded(_ source: String, reason: String) {
        flush()
        for stream in streams.values where stream.source == source {
            stream.features.finish { window in enqueue(window, stream: stream) }
        }
        flush()
        for stream in streams.values where stream.source == source { down(stream, reason: reason) }
    }

    /// Publishes a `stream.error` for a source-level problem (corrupt record, interface gone).
    public func report(source: String, kind: String, message: String, countsAsRecordIssue: Bool = true) {
        if countsAsRecordIssue { counters.recordIssues += 1 } else { log("\(source): \(kind): \(message)") }
        publish(time: 0, stream: source, payload: .streamError(kind: kind, message: message))
    }

    /// Publishes a `daemon.heartbeat` with the counters; `subscribers`/`droppedLines` come from the hub.
    public func heartbeat(subscribers: Int, droppedLines: Int) {
        counters.subscribers = subscribers
        counters.droppedLines = droppedLines
        counters.latencyP50Milliseconds = latency.percentile(0.5) * 1000
        counters.latencyP99Milliseconds = latency.percentile(0.99) * 1000
        let captureTime = streams.values.map(\.lastCaptureTime).max() ?? 0
        publish(time: captureTime, stream: nil, payload: .heartbeat(counters))
    }

    // MARK: internals

    private func install(_ newClassifier: (any WindowClassifier)?) {
        classifier = newClassifier
        var smoother = config.smoother
        smoother.labels = newClassifier?.labels ?? []
        // An activity fills about half of the first window that shows it, and the probability average over
        // `averaging_seconds` lags by half its span: its onset is that long before the time it first leads.
        if let newClassifier {
            smoother.onsetLeadSeconds = Double(newClassifier.steps) / newClassifier.sampleRateHz / 2 + smoother.averagingSeconds / 2
        }
        config.smoother = smoother
        let steps = newClassifier?.steps ?? 1, features = newClassifier?.features ?? 1
        let classes = max(1, newClassifier?.labels.count ?? 1)
        streamingClassifier = newClassifier as? any StreamingWindowClassifier
        batchWindows = [Float](repeating: 0, count: streamingClassifier == nil ? config.maxBatch * steps * features : 0)
        batchSlots.reserveCapacity(config.maxBatch)
        batchEnds.reserveCapacity(config.maxBatch)
        batchProbabilities = [Float](repeating: 0, count: config.maxBatch * classes)
        batchStreams.reserveCapacity(config.maxBatch)
    }

    private func makeStream(key: String, source: String, now: Double, captureTime: Double) -> Stream {
        let stream = Stream(key: key, source: source, features: FeaturePipeline(config: featureConfig),
                            smoother: EventSmoother(config: smootherConfig(idleMotionEnergy: nil)),
                            now: now, captureTime: captureTime)
        if let streamingClassifier {
            let slot = streamingClassifier.openStream()
            stream.slot = slot
            stream.features.onStep = { [unowned self, unowned stream] step in
                // A waiting window of this stream must be classified before its steps are overwritten.
                if let end = stream.oldestPendingEnd,
                   streamingClassifier.position(of: slot) - end >= streamingClassifier.slack {
                    self.flush()
                }
                stream.baseline?.add(step: step)
                streamingClassifier.append(step: step, to: slot)
            }
        }
        return stream
    }

    private func enqueue(_ window: FeatureWindow, stream: Stream) {
        guard let classifier else { stream.windows += 1; counters.windows += 1; return }
        let size = classifier.steps * classifier.features
        guard window.values.count == size else { return }
        if batchStreams.count == config.maxBatch { flush() }
        if let streamingClassifier, let slot = stream.slot {
            let end = streamingClassifier.position(of: slot)
            batchSlots.append(slot)
            batchEnds.append(end)
            if stream.oldestPendingEnd == nil { stream.oldestPendingEnd = end }
        } else {
            let slot = batchStreams.count
            batchWindows.withUnsafeMutableBufferPointer { out in
                _ = UnsafeMutableBufferPointer(rebasing: out[(slot * size)..<((slot + 1) * size)]).initialize(from: window.values)
            }
        }
        batchStreams.append(stream)
        batchEndTimes.append(window.endTime)
        batchMotion.append(window.motionEnergy)
        batchArrival.append(currentArrival)
    }

    private func down(_ stream: Stream, reason: String) {
        if stream.oldestPendingEnd != nil { flush() }          // its waiting windows need its steps
        if let slot = stream.slot { streamingClassifier?.closeStream(slot) }
        if let baseline = stream.baseline {
            stream.baseline = nil
            baseline.reply(Self.errorReply(String(format: "baseline rejected: stream %@ went down (%@) after %.1f s of windows; "
                + "keep it up for the whole baseline and try again", stream.key, reason, baseline.covered)))
        }
        stream.smoother.finish(time: stream.lastCaptureTime) { publish(time: $0, stream: stream.key, payload: $1) }
        streams[stream.key] = nil
        counters.streams = streams.count
        publish(time: stream.lastCaptureTime, stream: stream.key, payload: .streamDown(reason: reason))
    }

    func publish(time: Double, stream: String?, payload: EventPayload) {
        var event = Event(time: time, wallTime: wallClock(), stream: stream, payload: payload)
        sequencer.stamp(&event)
        counters.events += 1
        emit(event)
    }
}
