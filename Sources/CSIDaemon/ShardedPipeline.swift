import CSICapture
import CSIEvents
import CSIInference
import Dispatch

/// The daemon's pipeline on `pipeline.workers` cores: streams are sharded by stream key over N
/// ``PipelineWorker``s, each owning its streams' ``DaemonPipeline`` state with no lock on the hot path; one
/// ``SequencedEmitter`` numbers the events of all of them. The reader thread calls this type: it places each
/// frame in its stream (the same ``StreamGrouping`` the workers use), so every frame of a stream, `[[group]]`
/// boards included, goes to the same worker, in order.
///
/// With one worker there is no thread and no hand-over: the pipeline runs on the caller's thread, exactly as
/// before workers existed. Status figures are the workers' sums as of their latest report (refreshed every 0.25 s,
/// at every ``maintenance()`` and by ``synchronize()``), except `frames`, which counts the frames handed over.
public final class ShardedPipeline {
    /// Number of workers.
    public let workerCount: Int
    /// The models the workers run (worker 0's; the others run replicas of them). After a reload with several
    /// workers, the new models once every worker has switched to them (until then the previous ones), so that
    /// `status` never names models no worker runs yet.
    public var router: ModelRouter {
        if let pending = pendingRouter, workers.allSatisfy({ $0.latest.reloads >= reloadsSent }) {
            activeRouter = pending
            pendingRouter = nil
        }
        return activeRouter
    }
    /// The models every worker runs.
    private var activeRouter: ModelRouter
    /// Models sent to the workers by the latest reload that not every worker has applied yet.
    private var pendingRouter: ModelRouter?
    /// Reloads sent to every worker.
    private var reloadsSent = 0
    /// Frames the sources dropped before the pipeline (load shedding); set by the reader, reported in heartbeats
    /// together with ``framesShed``.
    public var framesDropped = 0
    /// Live frames taken back from a backed-up worker before it processed them (drop-oldest; reader thread), by
    /// source name.
    public private(set) var framesShedBySource: [String: Int] = [:]
    /// All of ``framesShedBySource``.
    public var framesShed: Int { framesShedBySource.values.reduce(0, +) }

    /// Worker 0's pipeline; with one worker, the only one, run on the caller's thread.
    private let primary: DaemonPipeline
    /// The worker threads (none with one worker).
    private let workers: [PipelineWorker]
    /// Messages gathered per worker, handed over at each flush or every ``handOverMessages``.
    private var outboxes: [[PipelineWorker.Message]]
    /// Workers that got frames since the last flush.
    private var dirty: [Bool]
    /// How frames make streams (the workers' own grouping, used here to choose a frame's worker).
    private let grouping: StreamGrouping
    /// Worker of each radio link, cached.
    private var shards: [DaemonPipeline.StreamIdentity: Int] = [:]
    /// Events and their types published here (heartbeats and source problems of a sharded pipeline), and the
    /// record issues among those problems.
    private var ownEvents = 0, ownEventsByType: [EventType: Int] = [:], ownRecordIssues = 0
    /// Frames handed to the workers (counted here, so `frames` is current although the workers report
    /// periodically).
    private var framesIngested = 0
    private let emitter: SequencedEmitter
    private let wallClock: () -> Double
    /// ``LatencyRecorder/total`` of each worker at the previous ``newLatencies()``.
    private var latencyReported: [Int]

    /// Messages a reader gathers for one worker before handing them over, and the backlog of a worker at which the
    /// reader stops reading sources (8192 frames are 8 s of one 1 kHz stream; the bound also limits how far status
    /// lags behind a worker that fell behind).
    static let handOverMessages = 256, inboxMessages = 8192
    /// Live frames a backed-up worker loses at once (its oldest waiting ones), so shedding runs seldom.
    static let shedMessages = 1024

    /// Creates `workers` workers (1 or more): worker 0 runs `router`, the others replicas of its models (which
    /// share their weights). `configure` sets each worker's pipeline up (log, calibration store, ...) before any
    /// thread starts; `emit` receives every event, numbered, from any worker's thread, one at a time.
    public init(config: PipelineConfig, router: ModelRouter, workers workerCount: Int,
                monotonic: @escaping () -> Double, wallClock: @escaping () -> Double,
                emit: @escaping (Event) -> Void, configure: (DaemonPipeline) -> Void = { _ in }) throws {
        self.workerCount = max(1, workerCount)
        activeRouter = router
        self.wallClock = wallClock
        grouping = StreamGrouping(config: config.grouping)
        emitter = SequencedEmitter(emit: emit)
        var pipelines: [DaemonPipeline] = []
        for index in 0..<self.workerCount {
            let pipeline = DaemonPipeline(config: config, router: index == 0 ? router : try router.replica(),
                                          monotonic: monotonic, wallClock: wallClock, emitter: emitter)
            configure(pipeline)
            pipelines.append(pipeline)
        }
        primary = pipelines[0]
        workers = self.workerCount == 1 ? [] : pipelines.enumerated().map {
            PipelineWorker(index: $0.offset, pipeline: $0.element, inboxCapacity: Self.inboxMessages)
        }
        outboxes = Array(repeating: [], count: self.workerCount)
        dirty = Array(repeating: false, count: self.workerCount)
        latencyReported = Array(repeating: 0, count: self.workerCount)
        if self.workerCount > 1 {
            BLASThreading.prepareForConcurrentCallers()
            for pipeline in pipelines {
                // Weak: a worker's pipeline must not keep the workers (and itself) alive.
                pipeline.streamKeysUp = { [weak self] in self?.workers.flatMap { $0.latest.streams.map(\.key) } ?? [] }
            }
            for worker in workers { worker.start() }
        }
    }

    /// The worker of stream `key`: FNV-1a of the key modulo the worker count (stable across runs).
    public func worker(ofStream key: String) -> Int {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return Int(hash % UInt64(workerCount))
    }

    /// The worker of the stream `frame` of `source` belongs to (``worker(ofStream:)`` of its stream key).
    public func worker(of frame: CSIFrame, source: String) -> Int {
        worker(ofStream: grouping.place(frame, source: source).key)
    }

    /// Feeds one frame from `source` that arrived at monotonic time `arrival`. A `live` source's frame that finds
    /// its worker backed up pushes out that worker's oldest waiting live frames (``shedMessages`` at a time, counted
    /// in ``framesShed``); a replayed frame is never shed (the reader stops reading replays instead).
    public func ingest(_ frame: consuming CSIFrame, source: String, arrival: Double, live: Bool = false) {
        guard workerCount > 1 else { return primary.ingest(consume frame, source: source, arrival: arrival, live: live) }
        let identity = DaemonPipeline.StreamIdentity(source: source, link: frame.source)
        let shard: Int
        if let cached = shards[identity] {
            shard = cached
        } else {
            shard = worker(of: frame, source: source)
            if shards.count > 65536 { shards.removeAll(keepingCapacity: true) }
            shards[identity] = shard
        }
        if live && workers[shard].inbox.backlog >= Self.inboxMessages { shed(worker: shard) }
        send(.frame(consume frame, source: source, arrival: arrival, live: live), to: shard)
        dirty[shard] = true
        framesIngested += 1
    }

    /// Removes the oldest ``shedMessages`` waiting live frames of worker `index` (drop-oldest, as the live queues).
    private func shed(worker index: Int) {
        _ = workers[index].inbox.removeOldest(upTo: Self.shedMessages) { message in
            guard case .frame(_, let source, _, true) = message else { return false }
            framesShedBySource[source, default: 0] += 1
            return true
        }
    }

    /// Ends a burst: every worker that got frames classifies its pending windows.
    public func flush() {
        guard workerCount > 1 else { return primary.flush() }
        for index in 0..<workerCount where dirty[index] {
            dirty[index] = false
            send(.flush, to: index)
            handOver(index)
        }
    }

    /// Ends every stream of `source` with `reason` (see ``DaemonPipeline/sourceEnded(_:reason:)``).
    public func sourceEnded(_ source: String, reason: String) {
        broadcast(.sourceEnded(source, reason: reason))
    }

    /// Publishes a source-level problem (see ``DaemonPipeline/report(source:kind:message:countsAsRecordIssue:)``).
    /// With workers it is published from here, at once: before the `stream.down`s that a following
    /// ``sourceEnded(_:reason:)`` makes the workers publish.
    public func report(source: String, kind: String, message: String, countsAsRecordIssue: Bool = true) {
        guard workerCount > 1 else {
            return primary.report(source: source, kind: kind, message: message, countsAsRecordIssue: countsAsRecordIssue)
        }
        if countsAsRecordIssue { ownRecordIssues += 1 } else { primary.warn("\(source): \(kind): \(message)") }
        publishOwn(Event(time: 0, wallTime: wallClock(), stream: source, payload: .streamError(kind: kind, message: message)))
    }

    /// Expires streams silent at monotonic time `now` (the frames read before it count, although a worker may
    /// still have them queued) and refreshes the workers' reports. `replaysHeld`: the reader held its replayed files
    /// back since the previous call (``DaemonPipeline/expireSilentStreams(now:replaysHeld:)``).
    public func maintenance(now: Double, replaysHeld: Bool = false) {
        guard workerCount > 1 else { return primary.expireSilentStreams(now: now, replaysHeld: replaysHeld) }
        broadcast(.maintenance(now: now, replaysHeld: replaysHeld))
    }

    /// Swaps the models (SIGHUP) in every worker, between two bursts (see ``DaemonPipeline/replace(router:config:)``).
    public func replace(router newRouter: ModelRouter, config: PipelineConfig) throws {
        guard workerCount > 1 else {
            primary.replace(router: newRouter, config: config)
            activeRouter = newRouter
            return
        }
        let routers = try (0..<workerCount).map { $0 == 0 ? newRouter : try newRouter.replica() }
        pendingRouter = newRouter
        reloadsSent += 1
        for index in 0..<workerCount {
            send(.reload(routers[index], config), to: index)
            handOver(index)
        }
    }

    /// Applies a calibration request on the worker of its stream (after the windows made before it).
    public func calibrate(_ request: CalibrationRequest, reply: @escaping @Sendable (String) -> Void) {
        guard workerCount > 1 else {
            primary.flush()
            return primary.calibrate(request, reply: reply)
        }
        let index = worker(ofStream: request.stream)
        send(.calibrate(request, reply: reply), to: index)
        handOver(index)
    }

    /// Publishes a `daemon.heartbeat` with the summed counters.
    public func heartbeat(subscribers: Int, droppedLines: Int) {
        guard workerCount > 1 else {
            primary.framesDropped = framesDropped
            return primary.heartbeat(subscribers: subscribers, droppedLines: droppedLines)
        }
        let reports = workers.map(\.latest)
        var counters = sum(reports)
        counters.subscribers = subscribers
        counters.droppedLines = droppedLines
        let latency = merged(reports)
        counters.latencyP50Milliseconds = latency.percentile(0.5) * 1000
        counters.latencyP99Milliseconds = latency.percentile(0.99) * 1000
        counters.events += 1       // this heartbeat
        let time = reports.map(\.latestCaptureTime).max() ?? 0
        publishOwn(Event(time: time, wallTime: wallClock(), stream: nil, payload: .heartbeat(counters)))
    }

    /// Publishes an event of the reader's own (heartbeats, source problems), counted here.
    private func publishOwn(_ event: Event) {
        ownEvents += 1
        ownEventsByType[event.type, default: 0] += 1
        emitter.publish(event)
    }

    /// True while a worker has ``inboxMessages`` or more to process: the reader should not read replays (they
    /// wait); live sources are still read, and the backed-up worker sheds its own oldest live frames.
    public var isBackedUp: Bool {
        workers.contains { $0.inbox.backlog >= Self.inboxMessages }
    }

    /// True when every worker has processed everything handed to it (always with one worker).
    public var isDrained: Bool {
        workers.indices.allSatisfy { outboxes[$0].isEmpty && workers[$0].inbox.backlog == 0 }
    }

    /// Waits until every worker has processed what was sent to it and refreshed its report.
    public func synchronize() {
        guard workerCount > 1 else { return }
        let semaphore = DispatchSemaphore(value: 0)
        broadcast(.barrier(semaphore))
        for _ in workers { semaphore.wait() }
    }

    /// Shutdown: the workers skip the frames still queued for them (counted as dropped), so that ``finish()``
    /// returns promptly.
    public func abandonQueuedFrames() {
        for worker in workers { worker.abandonQueuedFrames() }
    }

    /// Frames the workers skipped at shutdown (``abandonQueuedFrames()``); final after ``finish()``. They are in
    /// `frames` (handed over) but were never featurised.
    public var framesAbandoned: Int { workers.reduce(0) { $0 + $1.framesAbandoned } }

    /// The longest time a worker has been busy with what it holds without finishing it, in seconds (0 with one
    /// worker, whose stalls are the reader's). Safe from any thread: the watchdog withholds `WATCHDOG=1` on it.
    public func workerStallSeconds(now: Double) -> Double {
        workers.map { $0.stallSeconds(now: now) }.max() ?? 0
    }

    /// ``workerStallSeconds(now:)`` as a closure for another thread (it holds the workers, not this pipeline).
    public var workerStallProbe: @Sendable (Double) -> Double {
        let workers = self.workers
        return { now in workers.map { $0.stallSeconds(now: now) }.max() ?? 0 }
    }

    /// Stops the workers after everything sent to them (their pending windows are classified) and waits for
    /// them; the figures are then final.
    public func finish() {
        guard workerCount > 1 else { return primary.flush() }
        broadcast(.stop)
        for worker in workers { worker.join() }
    }

    /// Workers of a pipeline that was never finished (a runner never started) are told to end.
    deinit {
        for worker in workers {
            var last: [PipelineWorker.Message] = [.stop]
            worker.inbox.put(&last)
        }
    }

    // MARK: figures (summed over the workers)

    /// Counters of every worker added up, with ``framesDropped``.
    public var counters: DaemonCounters {
        guard workerCount > 1 else {
            primary.framesDropped = framesDropped
            return primary.counters
        }
        return sum(workers.map(\.latest))
    }

    /// Events published, by type.
    public var eventsByType: [EventType: Int] {
        guard workerCount > 1 else { return primary.eventsByType }
        var total = ownEventsByType
        for report in workers.map(\.latest) { total.merge(report.eventsByType, uniquingKeysWith: +) }
        return total
    }

    /// Streams up.
    public var streamCount: Int {
        workerCount > 1 ? workers.reduce(0) { $0 + $1.latest.streams.count } : primary.streamCount
    }

    /// Every stream, sorted by key (see ``DaemonPipeline/streamSnapshots()``).
    public func streamSnapshots() -> [StreamSnapshot] {
        guard workerCount > 1 else { return primary.streamSnapshots() }
        return workers.flatMap(\.latest.streams).sorted { $0.key < $1.key }
    }

    /// Recent frame-to-event latencies of every worker.
    public var latency: LatencyRecorder {
        workerCount > 1 ? merged(workers.map(\.latest)) : primary.latency
    }

    /// Latencies recorded since the previous call (for the metrics histogram).
    public func newLatencies() -> [Double] {
        let recorders = workerCount > 1 ? workers.map(\.latest.latency) : [primary.latency]
        var samples: [Double] = []
        for (index, recorder) in recorders.enumerated() {
            samples += recorder.samples(since: latencyReported[index])
            latencyReported[index] = recorder.total
        }
        return samples
    }

    // MARK: internals

    private func send(_ message: consuming PipelineWorker.Message, to index: Int) {
        outboxes[index].append(message)
        if outboxes[index].count >= Self.handOverMessages { handOver(index) }
    }

    private func handOver(_ index: Int) {
        workers[index].inbox.put(&outboxes[index])
    }

    private func broadcast(_ message: PipelineWorker.Message) {
        guard workerCount > 1 else {
            if case .sourceEnded(let source, let reason) = message { primary.sourceEnded(source, reason: reason) }
            return
        }
        for index in 0..<workerCount {
            send(message, to: index)
            handOver(index)
        }
    }

    private func sum(_ reports: [PipelineWorker.Report]) -> DaemonCounters {
        var total = DaemonCounters()
        for report in reports {
            let counters = report.counters
            total.frames += counters.frames
            total.windows += counters.windows
            total.events += counters.events
            total.streams += counters.streams
            total.recordIssues += counters.recordIssues
            total.framesRejected += counters.framesRejected
        }
        total.events += ownEvents
        total.recordIssues += ownRecordIssues
        total.framesDropped = framesDropped + framesShed
        total.frames = max(total.frames, framesIngested - framesShed)
        return total
    }

    private func merged(_ reports: [PipelineWorker.Report]) -> LatencyRecorder {
        var all = LatencyRecorder(capacity: max(1, reports.count) * 4096)
        for report in reports {
            for sample in report.latency.samples(since: max(0, report.latency.total - 4096)) { all.record(sample) }
        }
        return all
    }
}
