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
    private var pipeline: DaemonPipeline!
    private var sources: [any FrameSource] = []

    private struct Shared {
        var stop = false
        var pendingReload: (router: ModelRouter, config: PipelineConfig)?
        var calibrationRequests: [(request: CalibrationRequest, reply: @Sendable (String) -> Void)] = []
        var lastLoop = 0.0
        var status = "{\"type\":\"status\"}"
        var statusLine = "starting"
        var finished = false
        var started = false
    }
    private let shared = NIOLockedValueBox(Shared())
    private let done = DispatchSemaphore(value: 0)

    /// Monotonic seconds.
    public static func monotonic() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

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
                sources.append(LiveSource(name: spec.description, maximumBackoff: options.retryMaxSeconds,
                                          queueCapacity: options.liveQueueFrames) {
                    PcapLiveSource(interface: interface)
                })
            case .netlink:
                sources.append(LiveSource(name: spec.description, maximumBackoff: options.retryMaxSeconds,
                                          queueCapacity: options.liveQueueFrames) {
                    Intel5300NetlinkSource()
                })
            }
        }
        self.init(options: options, router: router, hub: hub, sources: sources, log: log, warn: warn)
    }

    /// Runs the given sources (`options.sources` is not read).
    convenience init(options: Options, classifier: (any WindowClassifier)?, hub: EventHub, sources: [any FrameSource],
                     log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.init(options: options, router: .single(classifier), hub: hub, sources: sources, log: log)
    }

    /// Runs the given sources with `router` (`options.sources` is not read).
    init(options: Options, router: ModelRouter, hub: EventHub, sources: [any FrameSource],
         log: @escaping @Sendable (String) -> Void = { _ in }, warn: (@Sendable (String) -> Void)? = nil) {
        self.options = options
        self.hub = hub
        self.log = log
        self.warn = warn ?? log
        self.sources = sources
        pipeline = DaemonPipeline(config: options.pipeline, router: router,
                                  monotonic: Self.monotonic, wallClock: { Date().timeIntervalSince1970 },
                                  emit: { [hub] event in hub.publish(event) })
        pipeline.wantsPredictions = { [hub] in hub.wants(.prediction) }
        pipeline.log = log
        pipeline.warn = self.warn
        pipeline.calibrationStore = options.stateDirectory.map { CalibrationStore(stateDirectory: $0) }
        shared.withLockedValue { $0.lastLoop = Self.monotonic() }
        publishStatus()   // a complete status even before the pipeline thread starts (wait_for_subscriber)
    }

    /// Starts the pipeline thread (once; later calls and calls after ``stop(timeout:)`` do nothing).
    public func start() {
        let first = shared.withLockedValue { state in
            let first = !state.started && !state.stop
            if first { state.started = true; state.lastLoop = Self.monotonic() }
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
        if finished || !started { return true }
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
    public var heartbeatAge: Double {
        let (started, lastLoop) = shared.withLockedValue { ($0.started, $0.lastLoop) }
        return started ? Self.monotonic() - lastLoop : 0
    }

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

    private func run() {
        var nextMaintenance = Self.monotonic() + 0.5
        var nextHeartbeat = Self.monotonic() + options.heartbeatSeconds
        var active = sources
        publishStatus()
        while true {
            let (stop, reload, requests) = shared.withLockedValue { state in
                defer {
                    state.pendingReload = nil
                    if !state.calibrationRequests.isEmpty { state.calibrationRequests.removeAll() }
                }
                state.lastLoop = Self.monotonic()
                return (state.stop, state.pendingReload, state.calibrationRequests)
            }
            if stop { break }
            if let reload {
                pipeline.replace(router: reload.router, config: reload.config)
                log("models reloaded: \(Self.modelNames(reload.router))")
            }
            for item in requests {
                pipeline.flush()     // windows made before the request are classified as they were
                pipeline.calibrate(item.request, reply: item.reply)
            }
            if !requests.isEmpty { publishStatus() }
            let now = Self.monotonic()
            var wait = 0.005
            var progressed = false
            var index = 0
            while index < active.count {
                let source = active[index]
                var ended: String?
                burst: for count in 0..<512 {
                    if count & 63 == 63 && isStopping { break burst }   // SIGTERM during a long burst
                    switch source.poll(now: now) {
                    case .frame(let frame):
                        pipeline.ingest(frame, source: source.name, arrival: now)
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
                pipeline.expireSilentStreams()
                publishStatus()
            }
            if now >= nextHeartbeat {
                nextHeartbeat = now + options.heartbeatSeconds
                pipeline.framesDropped = sourceTotals.framesDropped
                pipeline.heartbeat(subscribers: hub.subscriberCount, droppedLines: hub.droppedTotal)
            }
            if active.isEmpty && options.exitWhenDone { break }
            if !progressed { Thread.sleep(forTimeInterval: max(0.0005, min(wait, 0.005))) }
        }
        for source in active {
            pipeline.sourceEnded(source.name, reason: "shutdown")
            source.close()
        }
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
        sources.reduce(into: SourceCounters()) { total, source in
            let counters = source.counters
            total.framesRead += counters.framesRead
            total.framesDropped += counters.framesDropped
            total.queueHighWater = max(total.queueHighWater, counters.queueHighWater)
            total.truncations += counters.truncations
            total.rotations += counters.rotations
            total.losses += counters.losses
            total.starts += counters.starts
        }
    }

    /// `frames_read=N frames=N rejected=N dropped=N windows=N events=N ...` (logged at exit; the soak check reads
    /// it). Pipeline thread only.
    private var countersSummary: String {
        let counters = pipeline.counters
        let source = sourceTotals
        return "frames_read=\(source.framesRead) frames=\(counters.frames) "
            + "rejected=\(counters.framesRejected) dropped=\(source.framesDropped) windows=\(counters.windows) "
            + "events=\(counters.events) record_issues=\(counters.recordIssues) truncations=\(source.truncations) "
            + "rotations=\(source.rotations) losses=\(source.losses)"
    }

    /// The loaded models' names joined by `, ` (`none` without any).
    static func modelNames(_ router: ModelRouter) -> String {
        router.isEmpty ? "none" : router.classifiers.map(\.name).joined(separator: ", ")
    }

    private func publishStatus() {
        let counters = pipeline.counters
        var object: [String: Any] = [
            "type": "status",
            "model": pipeline.router.isEmpty ? NSNull() : Self.modelNames(pipeline.router),
            "models": pipeline.router.classifiers.map(\.name),
            "frames": counters.frames, "windows": counters.windows, "events": counters.events,
            "subscribers": hub.subscriberCount, "dropped_lines": hub.droppedTotal,
            "record_issues": counters.recordIssues,
            "frames_rejected": counters.framesRejected,
            "subscribers_refused": subscribersRefused(),
            "latency_p50_ms": pipeline.latency.percentile(0.5) * 1000,
            "latency_p99_ms": pipeline.latency.percentile(0.99) * 1000,
        ]
        object["sources"] = sources.map { source -> [String: Any] in
            let counters = source.counters
            return ["source": source.name, "frames_read": counters.framesRead, "frames_dropped": counters.framesDropped,
                    "queue_high_water": counters.queueHighWater, "truncations": counters.truncations,
                    "rotations": counters.rotations, "losses": counters.losses, "starts": counters.starts]
        }
        let totals = sourceTotals
        object["frames_read"] = totals.framesRead
        object["frames_dropped"] = totals.framesDropped
        pipeline.framesDropped = totals.framesDropped
        object["streams"] = pipeline.streamSnapshots().map { stream -> [String: Any] in
            ["stream": stream.key, "source": stream.source, "frames": stream.frames, "windows": stream.windows,
             "lost_frames": stream.lostFrames,
             "frames_per_second": stream.framesPerSecond, "windows_per_second": stream.windowsPerSecond,
             "activity": stream.activity ?? NSNull(), "silent_seconds": stream.silentSeconds,
             "calibration": stream.calibration?.jsonObject ?? NSNull(),
             "model": stream.model ?? NSNull(), "route": stream.route ?? NSNull()]
        }
        let text = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{\"type\":\"status\"}"
        let now = Self.monotonic()
        var rates = ""
        if let previous = previousStatus, now - previous.time > 0.1 {
            let seconds = now - previous.time
            rates = String(format: ", %.0f frames/s, %.1f windows/s",
                           Double(counters.frames - previous.frames) / seconds, Double(counters.windows - previous.windows) / seconds)
        }
        previousStatus = (now, counters.frames, counters.windows)
        let line = "\(pipeline.streamCount) streams\(rates), \(hub.subscriberCount) subscribers, \(hub.droppedTotal) lines dropped, "
            + "model \(Self.modelNames(pipeline.router))"
        shared.withLockedValue {
            $0.status = text
            $0.statusLine = line
        }
    }
}
