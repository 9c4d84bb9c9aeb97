import CSICapture
import CSIEvents
import CSIFeatures
import CSIInference

/// The daemon's core, with no sockets and no threads: frames in, events out.
///
/// frame -> stream (``StreamGrouping``: by source + transmitter, Nexmon cores or `[[group]]` boards joined by a
/// ``StreamAssembler``; appears on its first frame) -> rate measured (``RateProbe``, when the route depends on it)
/// -> ``ModelRouter`` picks the stream's model -> ``FeaturePipeline`` (features, resampling, window) -> the model's
/// ``ClassifierLane`` (all its streams' windows in one batch) -> ``EventSmoother`` per stream -> sequenced
/// ``Event``s to `emit`. A stream no model fits gets one `stream.error` (`no-model` or `rate-too-low`).
/// Owned by one thread; `emit` is called on it.
public final class DaemonPipeline {
    /// Settings.
    public private(set) var config: PipelineConfig
    /// Chooses each stream's model.
    public private(set) var router: ModelRouter
    /// The first loaded model (`nil`: streams, windows and heartbeats only, no activity events).
    public var classifier: (any WindowClassifier)? { lanes.first?.classifier }
    /// Counters reported by heartbeats and `status`.
    public internal(set) var counters = DaemonCounters()
    /// Frame-to-event latency of classified windows.
    public private(set) var latency = LatencyRecorder()
    /// Events published since start, by type (``counters`` has their sum).
    public private(set) var eventsByType: [EventType: Int] = [:]
    /// Frames the sources dropped before the pipeline (load shedding); set by the runner, reported in heartbeats.
    public var framesDropped: Int {
        get { counters.framesDropped }
        set { counters.framesDropped = newValue }
    }
    /// Whether anybody wants `prediction` events (checked per batch; encoding them is skipped otherwise).
    public var wantsPredictions: () -> Bool = { true }
    /// Receives an information line (the model a stream gets, a calibration file applied or refused).
    public var log: (String) -> Void = { _ in }
    /// Receives a log line, once per stream, for a stream that cannot be classified (no model fits, too slow, its
    /// frames cannot supply the model's input), one for each source-level problem that is not a bad record (a
    /// capture device missing or lost, with its retry) and one for each batch the engine failed on; the daemon logs
    /// these at warning.
    public var warn: (String) -> Void = { _ in }

    /// Where per-stream calibration files live (`nil`: calibration requests are refused, streams run uncalibrated).
    public var calibrationStore: CalibrationStore?
    /// A few-shot head every stream uses unless its own calibration file says otherwise (`csihar evaluate --events
    /// --head FILE`: a head fitted by `csihar calibrate head`, scored through the daemon's path). Checked against the
    /// stream's model when the stream comes up; one that does not fit is reported like a bad calibration file.
    public var presetHead: HeadCalibration?
    /// Calibration file problems already logged (each is logged once; the `stream.error` comes at every stream.up).
    var loggedCalibrationProblems: Set<String> = []

    /// Live streams by key. Any change to it makes every ``Route`` look its stream up again.
    private(set) var streams: [String: Stream] = [:] { didSet { streamsGeneration &+= 1 } }
    /// Counts the changes to `streams` (a ``Route``'s cached stream is valid only for the count it was cached at).
    private var streamsGeneration = 0
    /// Stream placements by capture source and radio link (transmitter, core, spatial stream), each with the stream
    /// it fed last, so that a frame finds its stream with one lookup.
    private var placements: [StreamIdentity: Route] = [:]
    /// What a stream key is made of.
    struct StreamIdentity: Hashable {
        var source: String
        var link: CSISourceID
    }
    /// How frames make streams (fixed at creation: a reload keeps it).
    let grouping: StreamGrouping
    /// One lane per loaded model.
    private(set) var lanes: [ClassifierLane] = []
    /// Monotonic clock (seconds) and wall clock (seconds since 1970).
    private let monotonic: () -> Double, wallClock: () -> Double
    /// Stamps every event with the run's sequence number and hands it on (shared by every worker of a
    /// ``ShardedPipeline``).
    private let emitter: SequencedEmitter
    /// The keys of every stream up in the daemon, for error messages (set by a ``ShardedPipeline``, whose other
    /// workers hold other streams; nil: this pipeline's own).
    public var streamKeysUp: (() -> [String])?
    /// Batches classified from inside a feature callback (a full lane, or a waiting window about to be overwritten)
    /// instead of before the measurement (``makeRoom(for:)``); 0 with the default settings and models.
    public internal(set) var callbackFlushes = 0
    /// The frame being pushed arrived at this monotonic time.
    var currentArrival = 0.0

    /// Creates a pipeline that gives `classifier` to every stream it fits (`nil`: no model yet).
    public convenience init(config: PipelineConfig, classifier: (any WindowClassifier)?,
                            monotonic: @escaping () -> Double, wallClock: @escaping () -> Double,
                            emit: @escaping (Event) -> Void) {
        self.init(config: config, router: .single(classifier), monotonic: monotonic, wallClock: wallClock, emit: emit)
    }

    /// Creates a pipeline whose streams get their model from `router`; `emit` receives every event, sequenced.
    public convenience init(config: PipelineConfig, router: ModelRouter,
                            monotonic: @escaping () -> Double, wallClock: @escaping () -> Double,
                            emit: @escaping (Event) -> Void) {
        self.init(config: config, router: router, monotonic: monotonic, wallClock: wallClock,
                  emitter: SequencedEmitter(emit: emit))
    }

    /// Creates a pipeline whose streams get their model from `router` and whose events go through `emitter`.
    public init(config: PipelineConfig, router: ModelRouter,
                monotonic: @escaping () -> Double, wallClock: @escaping () -> Double,
                emitter: SequencedEmitter) {
        self.config = config
        self.router = router
        grouping = StreamGrouping(config: config.grouping)
        self.monotonic = monotonic
        self.wallClock = wallClock
        self.emitter = emitter
        install(router)
    }

    /// The wall clock now (seconds since 1970).
    var wallClockNow: Double { wallClock() }

    /// The capture time of the newest frame of any stream up (0 without streams).
    public var latestCaptureTime: Double { streams.values.map(\.lastCaptureTime).max() ?? 0 }

    /// Number of streams up.
    public var streamCount: Int { streams.count }

    /// A snapshot of every stream (for `status`); rates are over the time since the previous snapshot (since the
    /// stream came up for the first one).
    public func streamSnapshots() -> [StreamSnapshot] {
        let now = monotonic()
        return streams.values.sorted { $0.key < $1.key }.map { stream in
            let age = max(1e-9, now - stream.mark.time)
            defer { stream.mark = (now, stream.frames, stream.windows) }
            var snapshot = StreamSnapshot(key: stream.key, source: stream.source, device: stream.device,
                                  frames: stream.frames, windows: stream.windows,
                                  lostFrames: stream.lostFrames,
                                  framesPerSecond: Double(stream.frames - stream.mark.frames) / age,
                                  windowsPerSecond: Double(stream.windows - stream.mark.windows) / age,
                                  activity: stream.smoother.current.map { stream.smoother.config.labels[$0] },
                                  silentSeconds: max(0, now - stream.lastSeen),
                                  calibration: stream.calibration.map {
                                      StreamSnapshot.Calibration(head: $0.head != nil, baseline: $0.baseline != nil, created: $0.created)
                                  },
                                  model: stream.lane?.classifier.name, route: stream.routeState)
            snapshot.fallsRejected = stream.fallsRejected
            snapshot.fallsSuppressed = stream.fallsSuppressed
            return snapshot
        }
    }

    /// Swaps the model (SIGHUP) for a single one; see ``replace(router:config:)``.
    public func replace(classifier newClassifier: (any WindowClassifier)?, config newConfig: PipelineConfig) {
        replace(router: .single(newClassifier), config: newConfig)
    }

    /// Swaps the models (SIGHUP). Pending windows are classified with the old ones first; every stream ends its
    /// activity and is routed again (at once when its rate was measured) and restarts its windows. The grouping
    /// stays as it was at startup.
    public func replace(router newRouter: ModelRouter, config newConfig: PipelineConfig) {
        flush()
        let now = monotonic()
        for stream in streams.values {
            stream.smoother.finish(time: stream.lastCaptureTime) { publish(time: $0, stream: stream.key, payload: $1) }
            if let slot = stream.slot { stream.lane?.streaming?.closeStream(slot) }
        }
        config = newConfig
        config.grouping = grouping.config
        router = newRouter
        install(newRouter)
        loggedCalibrationProblems.removeAll()
        for (key, stream) in streams {
            stream.baseline.map { $0.reply(Self.errorReply("baseline rejected: the model was reloaded during it; try again")) }
            let fresh = Stream(key: key, source: stream.source, device: stream.device, assembler: stream.assembler,
                               probeSeconds: config.rateProbeSeconds,
                               smoother: EventSmoother(config: smootherConfig(for: nil, idleMotionEnergy: nil)),
                               now: now, captureTime: stream.lastCaptureTime)
            fresh.frames = stream.frames
            fresh.fromReplay = stream.fromReplay
            fresh.lastSequence = stream.lastSequence
            fresh.lostFrames = stream.lostFrames
            streams[key] = fresh
            if let profile = stream.profile, profile.rateHz != nil { route(fresh, profile: profile) }
        }
        for route in placements.values { route.stream = nil }    // no route keeps a replaced stream alive
    }

    /// Feeds one frame from `source` that arrived at monotonic time `arrival` (default: now). `live`: false for a
    /// source that waits for the pipeline (a replayed file), whose streams ``expireSilentStreams(now:replaysHeld:)``
    /// treats apart.
    public func ingest(_ frame: consuming CSIFrame, source: String, arrival: Double? = nil, live: Bool = true) {
        let now = arrival ?? monotonic()
        currentArrival = now
        counters.frames += 1
        let identity = StreamIdentity(source: source, link: frame.source)
        let route: Route
        if let cached = placements[identity] {
            route = cached
        } else {
            route = Route(placement: grouping.place(frame, source: source))   // built once per radio link rather than per frame
            if placements.count > 4 * streams.count + 1024 { placements.removeAll(keepingCapacity: true) }
            placements[identity] = route
        }
        let stream: Stream
        if let known = route.stream, route.generation == streamsGeneration {
            stream = known
        } else if let existing = streams[route.placement.key] {
            stream = existing
            route.stream = existing
            route.generation = streamsGeneration
        } else {
            let placement = route.placement, key = placement.key
            stream = Stream(key: key, source: placement.source, device: frame.device.description,
                            assembler: grouping.makeAssembler(for: placement),
                            probeSeconds: config.rateProbeSeconds,
                            smoother: EventSmoother(config: smootherConfig(for: nil, idleMotionEnergy: nil)),
                            now: now, captureTime: frame.timestamp)
            stream.fromReplay = !live
            streams[key] = stream
            route.stream = stream
            route.generation = streamsGeneration
            counters.streams = streams.count
            publish(time: frame.timestamp, stream: key, payload: .streamUp(source: placement.source, device: frame.device.description))
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
        stream.assembler.push(consume frame, chain: route.placement.boardChain) { measurement in accept(measurement, stream: stream) }
    }

    /// Classifies every pending window and publishes the resulting events. Call after each burst of frames.
    public func flush() {
        for lane in lanes { flush(lane) }
    }

    /// Classifies the pending windows of one model.
    func flush(_ lane: ClassifierLane) {
        let count = lane.count
        guard count > 0 else { return }
        defer { lane.clear() }
        let classifier = lane.classifier
        let classes = classifier.labels.count
        do {
            try lane.classify()
        } catch {
            warn("inference failed for a batch of \(count) windows: \(error)")
            publish(time: lane.endTimes[0], stream: nil, payload: .streamError(kind: "inference", message: "\(error)"))
            return
        }
        let predictions = config.predictions && wantsPredictions()
        for index in 0..<count {
            let stream = lane.streams[index]
            let end = lane.endTimes[index], motion = lane.motion[index]
            counters.windows += 1
            stream.windows += 1
            lane.probabilities.withUnsafeBufferPointer { all in
                let row = UnsafeBufferPointer(rebasing: all[(index * classes)..<((index + 1) * classes)])
                if predictions {
                    publish(time: end, stream: stream.key,
                            payload: .prediction(labels: classifier.labels, probabilities: Array(row), motionEnergy: motion))
                }
                stream.smoother.push(time: end, probabilities: row, motionEnergy: motion) {
                    publish(time: $0, stream: stream.key, payload: $1)
                }
                if let baseline = stream.baseline, baseline.add(end: end, probabilities: row, motionEnergy: motion) {
                    finishBaseline(stream)
                }
            }
        }
        let done = monotonic()
        for index in 0..<count { latency.record(done - lane.arrival[index]) }
    }

    /// Ends streams silent for longer than `silenceSeconds` at monotonic time `now` (default: now) (`stream.down`,
    /// reason `silence`). A worker is given the time the reader asked, so frames read before it but still queued
    /// for the worker count as heard.
    ///
    /// `replaysHeld`: the reader held its replayed files back at some time since the previous call (a worker was
    /// backed up). Their streams were not read then, which is not silence: their silence starts again at `now`, so
    /// a replay that waits for a slow worker keeps its streams (and a fall in progress) instead of losing them.
    public func expireSilentStreams(now: Double? = nil, replaysHeld: Bool = false) {
        let now = now ?? monotonic()
        if replaysHeld {
            for stream in streams.values where stream.fromReplay { stream.lastSeen = max(stream.lastSeen, now) }
        }
        for stream in streams.values where now - stream.lastSeen > config.silenceSeconds {
            down(stream, reason: "silence")
        }
    }

    /// Ends every stream of `source` (it ended, or was lost) with `reason`; a `[[group]]` stream ends with any of
    /// its member sources.
    public func sourceEnded(_ source: String, reason: String) {
        let names = grouping.streamSources(endedBy: source)
        let ending = streams.values.filter { names.contains($0.source) }
        for stream in ending where stream.profile == nil { routeWithWhatIsHeld(stream) }
        flush()
        for stream in ending {
            makeRoom(for: stream)
            stream.features?.finish { window in enqueue(window, stream: stream) }
        }
        flush()
        for stream in ending { down(stream, reason: reason) }
    }

    /// Publishes a `stream.error` for a source-level problem (corrupt record, interface gone).
    public func report(source: String, kind: String, message: String, countsAsRecordIssue: Bool = true) {
        if countsAsRecordIssue { counters.recordIssues += 1 } else { warn("\(source): \(kind): \(message)") }
        publish(time: 0, stream: source, payload: .streamError(kind: kind, message: message))
    }

    /// Publishes a `daemon.heartbeat` with the counters; `subscribers`/`droppedLines` come from the hub.
    public func heartbeat(subscribers: Int, droppedLines: Int) {
        counters.subscribers = subscribers
        counters.droppedLines = droppedLines
        counters.latencyP50Milliseconds = latency.percentile(0.5) * 1000
        counters.latencyP99Milliseconds = latency.percentile(0.99) * 1000
        publish(time: latestCaptureTime, stream: nil, payload: .heartbeat(counters))
    }

    // MARK: internals

    /// One lane per distinct loaded model of `router`.
    private func install(_ router: ModelRouter) {
        lanes = router.classifiers.map {
            ClassifierLane(classifier: $0, maxBatch: config.maxBatch)
        }
    }

    /// The lane of `classifier`.
    func lane(of classifier: any WindowClassifier) -> ClassifierLane? {
        lanes.first { $0.classifier === classifier }
    }

    func enqueue(_ window: FeatureWindow, stream: Stream) {
        guard let lane = stream.lane else { stream.windows += 1; counters.windows += 1; return }
        // ``makeRoom(for:)`` made room before the measurement; a full lane here means a batch smaller than one
        // measurement's windows (max_batch below a handful), which still works.
        if lane.count == lane.maxBatch {
            callbackFlushes += 1
            flush(lane)
        }
        _ = lane.enqueue(window, stream: stream, arrival: currentArrival)
    }

    private func down(_ stream: Stream, reason: String) {
        if stream.oldestPendingEnd != nil { flush() }          // its waiting windows need its steps
        if let slot = stream.slot { stream.lane?.streaming?.closeStream(slot) }
        if let baseline = stream.baseline {
            stream.baseline = nil
            baseline.reply(Self.errorReply(String(format: "baseline rejected: stream %@ went down (%@) after %.1f s of windows; "
                + "keep it up for the whole baseline and try again", stream.key, reason, baseline.covered)))
        }
        stream.smoother.finish(time: stream.lastCaptureTime) { publish(time: $0, stream: stream.key, payload: $1) }
        streams[stream.key] = nil
        for route in placements.values where route.stream === stream { route.stream = nil }
        counters.streams = streams.count
        publish(time: stream.lastCaptureTime, stream: stream.key, payload: .streamDown(reason: reason))
    }

    func publish(time: Double, stream: String?, payload: EventPayload) {
        let event = Event(time: time, wallTime: wallClock(), stream: stream, payload: payload)
        counters.events += 1
        eventsByType[event.type, default: 0] += 1
        emitter.publish(event)
    }
}
