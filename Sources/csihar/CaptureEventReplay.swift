import CSICapture
import CSIDaemon
import CSIEvents
import CSIInference
import Foundation

/// The events one capture file gave when replayed through the daemon's pipeline core.
struct CaptureEventRun {
    /// The source name the daemon gives the file (`replay:PATH`).
    var source: String
    /// Every event the pipeline emitted, in order (`prediction` events only when asked for).
    var events: [Event]
    /// Capture time of the first and last frame (`nil` for a capture without frames).
    var firstTimestamp: Double?, lastTimestamp: Double?
    /// Frames read.
    var frames = 0

    /// Seconds from the first frame to the last (0 without frames).
    var duration: Double {
        guard let firstTimestamp, let lastTimestamp else { return 0 }
        return max(0, lastTimestamp - firstTimestamp)
    }
}

/// Replays a capture file through a ``DaemonPipeline`` exactly as `csihard --source replay:FILE` does (the same
/// ``CaptureFile`` reader and options, the same pipeline and smoother settings), without sockets or threads and
/// with deterministic clocks: the monotonic clock is the capture time since the first frame (as in a replay at
/// speed 1, so silent streams expire as they would), the wall clock the frame's capture time.
enum CaptureEventReplay {
    /// Frames ingested between two classifications (the daemon classifies after each burst of frames).
    static let burstFrames = 64

    /// Replays `path` with `classifier` under `config`; `predictions`: keep the per-window `prediction` events (as
    /// for a subscriber that asked for them; they do not change the other events). Corrupt records are published as `stream.error`, like the
    /// daemon's replay source does; a reader failure mid-file ends the stream with `source-lost` and is passed to
    /// `warn`. Throws when the file cannot be opened. `tick` is called every 16 bursts with the share of the file
    /// read so far (nil when the reader cannot tell). `head`: a few-shot head every stream uses (``DaemonPipeline/presetHead``).
    static func run(path: String, classifier: any CSIDaemon.WindowClassifier, config: PipelineConfig,
                    head: HeadCalibration? = nil, predictions: Bool = false, warn: (String) -> Void = { _ in },
                    tick: ((Double?) -> Void)? = nil) throws -> CaptureEventRun {
        let source = "replay:\(path)"
        let reader = try CaptureFile.open(path: path, options: CaptureOptions(follow: false))
        let fraction = CaptureFraction(path: path, reader: reader)
        let issues = IssueInbox()
        reader.onIssue = { issue in
            guard !issue.isBenign else { return }
            issues.add(issue)
        }

        final class Clock { var now = 0.0, wall = 0.0 }
        final class Sink { var events: [Event] = [] }
        let clock = Clock(), sink = Sink()
        let pipeline = DaemonPipeline(config: config, classifier: classifier, monotonic: { clock.now },
                                      wallClock: { clock.wall }, emit: { sink.events.append($0) })
        pipeline.wantsPredictions = { predictions }
        pipeline.presetHead = head

        var run = CaptureEventRun(source: source, events: [])
        var reason = "source-ended"
        while true {
            let frame: CSIFrame?
            do {
                frame = try reader.nextFrame()
            } catch {
                warn("\(path): reading stopped: \(error)")
                reason = "source-lost"
                break
            }
            for issue in issues.take() {
                pipeline.report(source: source, kind: issue.kind, message: issue.description)
            }
            guard let frame else { break }
            let first = run.firstTimestamp ?? frame.timestamp
            run.firstTimestamp = first
            run.lastTimestamp = frame.timestamp
            run.frames += 1
            clock.now = max(clock.now, frame.timestamp - first)
            clock.wall = frame.timestamp
            pipeline.ingest(frame, source: source, arrival: clock.now)
            if run.frames % burstFrames == 0 {
                pipeline.flush()
                pipeline.expireSilentStreams()
                if let tick, run.frames % (16 * burstFrames) == 0 { tick(fraction.value) }
            }
        }
        pipeline.sourceEnded(source, reason: reason)
        run.events = sink.events
        return run
    }
}

/// Reader issues handed from the reader's callback to the replay loop (the same thread here; the callback type is
/// `@Sendable`, hence the lock).
private final class IssueInbox: @unchecked Sendable {
    private var issues: [CaptureIssue] = []
    private let lock = NSLock()

    /// Keeps an issue.
    func add(_ issue: CaptureIssue) { lock.withLock { issues.append(issue) } }

    /// The issues kept so far, emptied.
    func take() -> [CaptureIssue] {
        lock.withLock {
            defer { issues.removeAll() }
            return issues
        }
    }
}
