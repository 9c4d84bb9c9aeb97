import CSICapture
import CSIEvents
import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// One pipeline worker of a ``ShardedPipeline``: a thread that owns a ``DaemonPipeline`` (its streams' features,
/// windows, engine sessions, smoothers and calibration; no lock on that path) and drives it from its
/// ``WorkerInbox``, message by message in the order the reader sent them: frames are ingested, and at each
/// `flush` the windows that fell due are classified in one batch, smoothed and published.
final class PipelineWorker: @unchecked Sendable {
    /// What the reader thread sends a worker.
    enum Message {
        /// A frame of `source` that arrived at monotonic time `arrival`; `live`: its source does not wait, so the
        /// reader may shed it while it waits here (``WorkerInbox/removeOldest(upTo:where:)``).
        case frame(CSIFrame, source: String, arrival: Double, live: Bool)
        /// End of a burst: classify the pending windows.
        case flush
        /// Expire streams silent at the reader's monotonic time `now` (`replaysHeld`: it held its replays back since
        /// the previous one, see ``DaemonPipeline/expireSilentStreams(now:replaysHeld:)``), and refresh the ``Report``.
        case maintenance(now: Double, replaysHeld: Bool)
        /// A capture source ended or was lost: its streams go down with `reason`.
        case sourceEnded(String, reason: String)
        /// New models and settings (SIGHUP).
        case reload(ModelRouter, PipelineConfig)
        /// A calibration request for one of its streams.
        case calibrate(CalibrationRequest, reply: @Sendable (String) -> Void)
        /// Refresh the ``Report`` and signal: everything sent before has been processed.
        case barrier(DispatchSemaphore)
        /// Finish what came before, then end the thread.
        case stop
    }

    /// What the worker last reported about itself (refreshed every ``reportSeconds``, at every `maintenance`
    /// and when it ends).
    struct Report {
        /// Its pipeline's counters (``DaemonCounters/framesDropped`` is the reader's, not set here).
        var counters = DaemonCounters()
        /// Events it published, by type.
        var eventsByType: [EventType: Int] = [:]
        /// Its streams.
        var streams: [StreamSnapshot] = []
        /// Its recent frame-to-event latencies.
        var latency = LatencyRecorder()
        /// Capture time of the newest frame of its streams.
        var latestCaptureTime = 0.0
        /// Model reloads it has applied.
        var reloads = 0
    }

    /// Seconds between two reports while the worker runs (it also reports at every `maintenance`).
    static let reportSeconds = 0.25

    /// The worker's index.
    let index: Int
    /// Messages from the reader.
    let inbox: WorkerInbox<Message>
    /// Its pipeline: touched by the worker thread only, once ``start()`` was called (and by the caller again
    /// after ``join()``).
    let pipeline: DaemonPipeline
    private let report = NIOLockedValueBox(Report())
    /// Set at shutdown: frames still queued are skipped (and counted) instead of processed.
    private let abandoning = NIOLockedValueBox(false)
    /// Frames skipped at shutdown (worker thread only until it ends).
    private(set) var framesAbandoned = 0
    /// Model reloads applied (worker thread only).
    private var reloadsApplied = 0
    /// Monotonic time the worker last finished a batch or a stretch of 1024 messages (for the watchdog).
    private let progress = NIOLockedValueBox(MonotonicClock.now())

    /// Seconds the worker has been working on what it holds without finishing it (0 when it holds nothing).
    func stallSeconds(now: Double) -> Double {
        inbox.backlog == 0 ? 0 : max(0, now - progress.withLockedValue { $0 })
    }
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    /// Creates a worker around `pipeline`; its inbox holds up to `inboxCapacity` messages.
    init(index: Int, pipeline: DaemonPipeline, inboxCapacity: Int) {
        self.index = index
        self.pipeline = pipeline
        inbox = WorkerInbox(capacity: inboxCapacity)
    }

    /// Starts the thread.
    func start() {
        started = true
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "csihard-worker-\(index)"
        thread.start()
    }

    /// Waits until the thread has ended (after a `stop` message).
    func join() {
        guard started else { return }
        done.wait()
        done.signal()
    }

    /// From now on, skip the frames still queued (shutdown: the daemon must end within its stop budget; OpenBLAS
    /// is torn down when the process exits, so no worker may still be running then). They are counted as dropped.
    func abandonQueuedFrames() {
        abandoning.withLockedValue { $0 = true }
    }

    /// The latest report.
    var latest: Report { report.withLockedValue { $0 } }

    private func run() {
        var batches: [[Message]] = []
        var running = true
        var nextReport = MonotonicClock.now() + Self.reportSeconds
        while running {
            inbox.take(into: &batches, timeout: Self.reportSeconds)
            var skipFrames = false
            // A `flush` is put off while frames follow it in the batch: it is carried out at the next message that is
            // not a frame or at the end of the batch. A worker that falls behind then puts the windows of several
            // bursts through the engine together (larger batches read each recurrent weight matrix fewer times:
            // ABLSTM200 +15% streams); one that keeps up takes one burst per batch and classifies it at once, as
            // before (the same p99 latency at 80% load). The lanes' `maxBatch` and the streaming rings' slack
            // still force a classification in between (`DaemonPipeline.makeRoom(for:)`).
            var flushDue = false
            var handled = 0
            for chunk in batches.indices where running {
                // each message is moved out of its array (swapped with a `flush` placeholder), not copied: a frame
                // holds six arrays, and a copy costs an atomic reference count for each
                for index in batches[chunk].indices where running {
                    if handled & 63 == 0 { skipFrames = abandoning.withLockedValue { $0 } }
                    handled += 1
                    var message = Message.flush
                    swap(&message, &batches[chunk][index])
                    if skipFrames, case .frame = message {
                        framesAbandoned += 1
                        continue
                    }
                    switch message {
                    case .flush:
                        flushDue = true
                        continue
                    case .frame:
                        break
                    default:
                        if flushDue { pipeline.flush(); flushDue = false }
                    }
                    running = handle(consume message)
                    // A long batch (a backlog after a stall) still refreshes the figures status shows.
                    if handled & 1023 == 1023 {
                        progress.withLockedValue { $0 = MonotonicClock.now() }
                        if MonotonicClock.now() >= nextReport {
                            publishReport()
                            nextReport = MonotonicClock.now() + Self.reportSeconds
                        }
                    }
                }
            }
            if flushDue { pipeline.flush() }
            progress.withLockedValue { $0 = MonotonicClock.now() }
            inbox.finished(&batches)
            if MonotonicClock.now() >= nextReport {
                publishReport()
                nextReport = MonotonicClock.now() + Self.reportSeconds
            }
        }
        pipeline.flush()
        publishReport()
    }

    /// Applies one message; false for `stop`.
    private func handle(_ message: consuming Message) -> Bool {
        switch consume message {
        case .frame(let frame, let source, let arrival, let live):
            pipeline.ingest(consume frame, source: source, arrival: arrival, live: live)
        case .flush:
            pipeline.flush()
        case .maintenance(let now, let replaysHeld):
            pipeline.expireSilentStreams(now: now, replaysHeld: replaysHeld)
            publishReport()
        case .sourceEnded(let source, let reason):
            pipeline.sourceEnded(source, reason: reason)
        case .reload(let router, let config):
            pipeline.replace(router: router, config: config)
            reloadsApplied += 1
            publishReport()
        case .calibrate(let request, let reply):
            pipeline.flush()     // windows made before the request are classified as they were
            pipeline.calibrate(request, reply: reply)
            publishReport()
        case .barrier(let semaphore):
            publishReport()
            semaphore.signal()
        case .stop:
            return false
        }
        return true
    }

    private func publishReport() {
        let fresh = Report(counters: pipeline.counters, eventsByType: pipeline.eventsByType,
                           streams: pipeline.streamSnapshots(), latency: pipeline.latency,
                           latestCaptureTime: pipeline.latestCaptureTime, reloads: reloadsApplied)
        report.withLockedValue { $0 = fresh }
    }
}
