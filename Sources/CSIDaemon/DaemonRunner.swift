import CSICapture
import CSIEvents
import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// Runs the pipeline on its own thread: polls every source (replay paced by capture time, live queues), feeds
/// ``DaemonPipeline``, classifies each burst in one batch, publishes to the ``EventHub``, expires silent streams,
/// sends heartbeats, and applies model reloads between bursts.
public final class DaemonRunner: @unchecked Sendable {
    /// Runner settings.
    public struct Options: Sendable {
        /// Sources to read.
        public var sources: [SourceSpec] = []
        /// Replay speed multiplier (0 = as fast as possible).
        public var speed: Double = 1
        /// Replay in a loop.
        public var loop = false
        /// Follow replay files as they grow (truncation and rotation reopen them).
        public var follow = false
        /// Frames a live source may queue for the pipeline before the oldest are dropped.
        public var liveQueueFrames = 4096
        /// Longest backoff between attempts to open a live source, seconds.
        public var retryMaxSeconds: Double = 30
        /// Seconds between `daemon.heartbeat` events.
        public var heartbeatSeconds: Double = 5
        /// Stop when every source has ended (replay without loop).
        public var exitWhenDone = false
        /// Pipeline core settings.
        public var pipeline = PipelineConfig()
        /// Pipeline workers (`pipeline.workers`): streams are sharded over this many threads (1: the pipeline runs
        /// on the reader thread; see ``ShardedPipeline``).
        public var workers = 1
        /// Where per-stream calibration files live (`nil`: calibration requests are refused).
        public var stateDirectory: String?
        /// Creates defaults.
        public init() {}
    }

    /// The settings.
    public let options: Options
    private let hub: EventHub
    private let log: @Sendable (String) -> Void
    private let warn: @Sendable (String) -> Void
    private var pipeline: ShardedPipeline!
    private var sources: [any FrameSource] = []

    private struct Shared {
        var stop = false
        var pendingReload: (router: ModelRouter, config: PipelineConfig)?
        var calibrationRequests: [(request: CalibrationRequest, reply: @Sendable (String) -> Void)] = []
        var lastLoop = 0.0
        var status = "{\"type\":\"status\"}"
        var snapshot = DaemonStatusSnapshot()
        var statusLine = "starting"
        var finished = false
        var started = false
    }
    private let shared = NIOLockedValueBox(Shared())
    private let done = DispatchSemaphore(value: 0)

    /// Opens the sources (a replay file that cannot be opened throws, naming it; live sources retry later).
    public convenience init(options: Options, classifier: (any WindowClassifier)?, hub: EventHub,
                            log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        try self.init(options: options, router: .single(classifier), hub: hub, log: log)
    }

    /// Opens the sources; streams get their models from `router`. `warn` receives per-stream problems (no model
    /// fits, too slow, unusable frames), once per stream.
    public convenience init(options: Options, router: ModelRouter, hub: EventHub,
                            log: @escaping @Sendable (String) -> Void = { _ in },
                            warn: (@Sendable (String) -> Void)? = nil) throws {
        var sources: [any FrameSource] = []
        for spec in options.sources {
            switch spec {
            case .replay(let path):
                sources.append(try ReplaySource(path: path, speed: options.speed, loop: options.loop, follow: options.follow))
            case .pcap(let interface):
                let frames = options.liveQueueFrames
                sources.append(LiveSource(name: spec.description, maximumBackoff: options.retryMaxSeconds) {
                    PcapLiveSource(interface: interface, queueCapacity: frames)
                })
            case .netlink:
                let frames = options.liveQueueFrames
                sources.append(LiveSource(name: spec.description, maximumBackoff: options.retryMaxSeconds) {
                    Intel5300NetlinkSource(queueCapacity: frames)
                })
            }
        }
        try self.init(options: options, router: router, hub: hub, sources: sources, log: log, warn: warn)
    }

    /// Runs the given sources (`options.sources` is not read).
    convenience init(options: Options, classifier: (any WindowClassifier)?, hub: EventHub, sources: [any FrameSource],
                     log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        try self.init(options: options, router: .single(classifier), hub: hub, sources: sources, log: log)
    }

    /// Runs the given sources with `router` (`options.sources` is not read).
    init(options: Options, router: ModelRouter, hub: EventHub, sources: [any FrameSource],
         log: @escaping @Sendable (String) -> Void = { _ in }, warn: (@Sendable (String) -> Void)? = nil) throws {
        self.options = options
        self.hub = hub
        self.log = log
        self.warn = warn ?? log
        self.sources = sources
        let warn = self.warn
        pipeline = try ShardedPipeline(config: options.pipeline, router: router, workers: options.workers,
                                       monotonic: MonotonicClock.now, wallClock: { Date().timeIntervalSince1970 },
                                       emit: { [hub] event in hub.publish(event) }) { pipeline in
            pipeline.wantsPredictions = { [hub] in hub.wants(.prediction) }
            pipeline.log = log
            pipeline.warn = warn
            pipeline.calibrationStore = options.stateDirectory.map { CalibrationStore(stateDirectory: $0) }
        }
        workerStall = pipeline.workerStallProbe
        shared.withLockedValue { $0.lastLoop = MonotonicClock.now() }
        publishStatus()   // a complete status even before the pipeline thread starts (wait_for_subscriber)
    }

    /// Starts the pipeline thread (once; later calls and calls after ``stop(timeout:)`` do nothing).
    public func start() {
        let first = shared.withLockedValue { state in
            let first = !state.started && !state.stop
            if first { state.started = true; state.lastLoop = MonotonicClock.now() }
            return first
        }
        guard first else { return }
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "csihard-pipeline"
        thread.start()
    }

    /// Asks the thread to stop (streams go down with reason `shutdown`) and waits up to `timeout` seconds.
    @discardableResult
    public func stop(timeout: Double = 1.5) -> Bool {
        let (finished, started) = shared.withLockedValue { state in
            state.stop = true
            return (state.finished, state.started)
        }
        if !started && !finished {
            pipeline.finish()       // never started: its workers' threads end here
            return true
        }
        if finished { return true }
        guard done.wait(timeout: .now() + timeout) == .success else { return false }
        done.signal()
        return true
    }

    /// Waits (blocking) until the thread ends.
    public func wait() { done.wait(); done.signal() }

    /// Queues a model/config swap, applied between bursts.
    public func reload(classifier: (any WindowClassifier)?, config: PipelineConfig) {
        reload(router: .single(classifier), config: config)
    }

    /// Queues a swap of every model (and the pipeline settings), applied between bursts.
    public func reload(router: ModelRouter, config: PipelineConfig) {
        shared.withLockedValue { $0.pendingReload = (router, config) }
    }

    /// Queues a calibration request for the pipeline thread; `reply` gets its reply line(s) (JSON, no newline).
    /// After the pipeline has stopped, the reply is an error at once.
    public func calibrate(_ request: CalibrationRequest, reply: @escaping @Sendable (String) -> Void) {
        let accepted = shared.withLockedValue { state -> Bool in
            guard !state.finished && !state.stop else { return false }
            state.calibrationRequests.append((request, reply))
            return true
        }
        if !accepted { reply(DaemonPipeline.errorReply("the daemon is stopping")) }
    }

    /// Seconds since the pipeline loop last went round (for the watchdog).
    /// 0 before the thread starts (e.g. while waiting for the first subscriber).
    /// With workers, also how long a worker has been stuck on what it holds (the reader's loop keeps turning while
    /// it waits for a worker that fell behind).
    public var heartbeatAge: Double {
        let (started, lastLoop) = shared.withLockedValue { ($0.started, $0.lastLoop) }
        guard started else { return 0 }
        let now = MonotonicClock.now()
        return max(now - lastLoop, workerStall(now))
    }

    /// ``ShardedPipeline/workerStallSeconds(now:)``, set once in `init` (the pipeline itself belongs to the
    /// pipeline thread; this reads only the workers' locked state).
    private var workerStall: @Sendable (Double) -> Double = { _ in 0 }

    /// True once ``stop(timeout:)`` was called.
    public var isStopping: Bool { shared.withLockedValue { $0.stop } }

    /// True once the thread has ended.
    public var isFinished: Bool { shared.withLockedValue { $0.finished } }

    /// A one-line summary for systemd's `STATUS=` (streams, rates, subscribers, drops), refreshed every 0.5 s.
    public var statusLine: String { shared.withLockedValue { $0.statusLine } }

    /// Counters and time of the previous status, for rates.
    private var previousStatus: (time: Double, frames: Int, windows: Int)?

    /// The latest status (JSON object text, refreshed every 0.5 s).
    public var statusJSON: String { shared.withLockedValue { $0.status } }
    /// The figures of that reply (refreshed every 0.5 s).
    public var statusSnapshot: DaemonStatusSnapshot { shared.withLockedValue { $0.snapshot } }

    private func run() {
        runStarted = MonotonicClock.now()
        var nextMaintenance = MonotonicClock.now() + 0.5
        // whether replayed files were held back for a backed-up worker since the last maintenance (not silence)
        var replaysHeld = false
        var nextHeartbeat = MonotonicClock.now() + options.heartbeatSeconds
        var active = sources
        publishStatus()
        while true {
            let (stop, reload, requests) = shared.withLockedValue { state in
                defer {
                    state.pendingReload = nil
                    if !state.calibrationRequests.isEmpty { state.calibrationRequests.removeAll() }
                }
                state.lastLoop = MonotonicClock.now()
                return (state.stop, state.pendingReload, state.calibrationRequests)
            }
            if stop { break }
            if let reload {
                do {
                    try pipeline.replace(router: reload.router, config: reload.config)
                    log("models reloaded: \(Self.modelNames(reload.router))")
                } catch {
                    log("models not reloaded: \(error)")
                }
            }
            for item in requests {
                pipeline.calibrate(item.request, reply: item.reply)   // after the windows made before it
            }
            if !requests.isEmpty { publishStatus() }
            let now = MonotonicClock.now()
            var wait = 0.005
            var progressed = false
            var index = 0
            // A worker that fell behind: replays wait this round; live sources are read on, and the backed-up worker
            // sheds its own oldest live frames, so the other workers' streams go on.
            let backedUp = pipeline.isBackedUp
            if backedUp { wait = 0.001 }
            while index < active.count {
                let source = active[index]
                if backedUp && !source.isLive {
                    replaysHeld = true
                    index += 1
                    continue
                }
                var ended: String?
                burst: for count in 0..<512 {
                    if count & 63 == 63 && isStopping { break burst }   // SIGTERM during a long burst
                    switch source.poll(now: now) {
                    case .frame(let frame):
                        pipeline.ingest(frame, source: source.name, arrival: now, live: source.isLive)
                        progressed = true
                    case .wait(let seconds):
                        wait = min(wait, seconds)
                        break burst
                    case .ended(let reason):
                        ended = reason
                        break burst
                    case .lost(let reason):
                        // Its streams go down; the source stays and reopens the device with backoff.
                        for problem in source.takeProblems() {
                            pipeline.report(source: source.name, kind: problem.kind, message: problem.message,
                                            countsAsRecordIssue: problem.countsAsRecordIssue)
                        }
                        pipeline.sourceEnded(source.name, reason: reason)
                        log("\(source.name): \(reason); reopening with backoff")
                        break burst
                    }
                }
                for problem in source.takeProblems() {
                    pipeline.report(source: source.name, kind: problem.kind, message: problem.message,
                                    countsAsRecordIssue: problem.countsAsRecordIssue)
                }
                if let ended {
                    pipeline.sourceEnded(source.name, reason: ended.hasPrefix("source-error") ? "source-lost" : ended)
                    log("\(source.name): \(ended)")
                    source.close()
                    active.remove(at: index)
                } else {
                    index += 1
                }
            }
            pipeline.flush()
            if now >= nextMaintenance {
                nextMaintenance = now + 0.5
                pipeline.maintenance(now: MonotonicClock.now(), replaysHeld: replaysHeld)
                replaysHeld = false
                publishStatus()
            }
            if now >= nextHeartbeat {
                nextHeartbeat = now + options.heartbeatSeconds
                pipeline.framesDropped = sourceTotals.framesDropped
                pipeline.heartbeat(subscribers: hub.subscriberCount, droppedLines: hub.droppedTotal)
            }
            // Done once the workers have processed every frame read (heartbeats and status go on meanwhile).
            if active.isEmpty && options.exitWhenDone && pipeline.isDrained { break }
            if !progressed {
                let before = MonotonicClock.now()
                Thread.sleep(forTimeInterval: max(0.0005, min(wait, 0.005)))
                idleSeconds += MonotonicClock.now() - before
            }
        }
        // Stopped (SIGTERM): frames still queued for the workers are skipped and counted as dropped, so the thread
        // ends within the stop budget (the process must not exit while a worker runs: OpenBLAS goes away then).
        if isStopping { pipeline.abandonQueuedFrames() }
        for source in active {
            pipeline.sourceEnded(source.name, reason: "shutdown")
            source.close()
        }
        pipeline.finish()
        publishStatus()
        log("final counters: " + countersSummary)
        let unanswered = shared.withLockedValue { state in
            state.finished = true
            defer { state.calibrationRequests.removeAll() }
            return state.calibrationRequests
        }
        for item in unanswered { item.reply(DaemonPipeline.errorReply("the daemon is stopping")) }
    }

    /// Connections refused by the server (limit or allow-list), for `status`.
    public var subscribersRefused: @Sendable () -> Int = { 0 }

    /// The counters of every source added up (`queueHighWater` is the highest of them).
    private var sourceTotals: SourceCounters {
        SourceCounters.total(sources.map(\.counters))
    }

    /// `frames_read=N frames=N rejected=N dropped=N windows=N events=N ...` (logged at exit; the soak check reads
    /// it). Pipeline thread only.
    private var countersSummary: String {
        let counters = pipeline.counters
        let source = sourceTotals
        return "frames_read=\(source.framesRead) frames=\(counters.frames) "
            + "rejected=\(counters.framesRejected) dropped=\(source.framesDropped) windows=\(counters.windows) "
            + "events=\(counters.events) record_issues=\(counters.recordIssues) truncations=\(source.truncations) "
            + "rotations=\(source.rotations) losses=\(source.losses) abandoned=\(pipeline.framesAbandoned) "
            + "shed=\(pipeline.framesShed)"
    }

    /// The loaded models' names joined by `, ` (`none` without any).
    static func modelNames(_ router: ModelRouter) -> String {
        router.isEmpty ? "none" : router.classifiers.map(\.name).joined(separator: ", ")
    }

    /// Called on the pipeline thread with every status snapshot (every 0.5 s, and once more when the thread
    /// ends), with the latencies of the windows classified since the previous one. Set before ``start()``. The
    /// metrics read the daemon this way: data flows one way, nothing is added to the per-frame path.
    public var statusObserver: (@Sendable (DaemonStatusSnapshot) -> Void)?
    /// When the pipeline thread started (monotonic), and the seconds it has slept waiting for frames since.
    private var runStarted: Double?, idleSeconds = 0.0

    /// The pipeline's figures now (pipeline thread; also once from `init`, before the thread starts).
    private func makeSnapshot() -> DaemonStatusSnapshot {
        var snapshot = DaemonStatusSnapshot()
        snapshot.counters = pipeline.counters
        snapshot.eventsByType = pipeline.eventsByType
        snapshot.models = pipeline.router.classifiers.map(\.name)
        snapshot.model = pipeline.router.isEmpty ? nil : Self.modelNames(pipeline.router)
        snapshot.subscribers = hub.subscriberCount
        snapshot.droppedLines = hub.droppedTotal
        snapshot.subscribersRefused = subscribersRefused()
        let latency = pipeline.latency
        snapshot.latencyP50 = latency.percentile(0.5)
        snapshot.latencyP99 = latency.percentile(0.99)
        let shed = pipeline.framesShedBySource
        snapshot.sources = sources.map {
            DaemonStatusSnapshot.Source(name: $0.name, counters: $0.counters, framesShed: shed[$0.name] ?? 0)
        }
        snapshot.streams = pipeline.streamSnapshots()
        if let runStarted {
            snapshot.elapsedSeconds = max(0, MonotonicClock.now() - runStarted)
            snapshot.busySeconds = max(0, snapshot.elapsedSeconds - idleSeconds)
        }
        if statusObserver != nil { snapshot.newLatencies = pipeline.newLatencies() }
        return snapshot
    }

    private func publishStatus() {
        let snapshot = makeSnapshot()
        let counters = snapshot.counters
        pipeline.framesDropped = snapshot.sourceTotals.framesDropped
        let text = snapshot.jsonText
        let now = MonotonicClock.now()
        var rates = ""
        if let previous = previousStatus, now - previous.time > 0.1 {
            let seconds = now - previous.time
            rates = String(format: ", %.0f frames/s, %.1f windows/s",
                           Double(counters.frames - previous.frames) / seconds, Double(counters.windows - previous.windows) / seconds)
        }
        previousStatus = (now, counters.frames, counters.windows)
        let line = "\(pipeline.streamCount) streams\(rates), \(snapshot.subscribers) subscribers, \(snapshot.droppedLines) lines dropped, "
            + "model \(Self.modelNames(pipeline.router))"
        shared.withLockedValue {
            $0.status = text
            $0.snapshot = snapshot
            $0.statusLine = line
        }
        if runStarted != nil { statusObserver?(snapshot) }
    }
}
