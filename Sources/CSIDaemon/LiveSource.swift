import CSICapture
import CSIEvents
import Foundation

/// A live source (libpcap interface or Intel netlink), started with retries and exponential backoff when the
/// device is missing, and restarted the same way when it goes away while capturing (its streams then go down
/// with reason `source-lost` and come back up with the first frame after a successful restart). Frames reach the
/// pipeline through the capture's ``BoundedFrameQueue`` (load shedding with counters, never an unbounded queue);
/// the counters of captures that were lost are kept, so the source's counters never go back.
final class LiveSource: FrameSource {
    let name: String
    /// A live capture does not wait: under load its oldest frames are shed (here and in the pipeline workers).
    let isLive = true
    private let makeReader: () -> any LiveCapture
    private var capture: (any LiveCapture)?
    private let problems = ProblemBox()
    /// Queue counters of the captures that were lost (a restart makes a new capture with fresh counters).
    private var retired = BoundedFrameQueue.Counters()
    /// Next start attempt (monotonic) and the current backoff.
    private var retryAt = 0.0, backoff: Double
    /// First and longest backoff, seconds.
    private let initialBackoff: Double, maximumBackoff: Double
    private var losses = 0, starts = 0
    /// Drops already announced with a `load-shed` problem, and when.
    private var droppedReported = 0, lastShedReport = -1e9

    init(name: String, initialBackoff: Double = 1, maximumBackoff: Double = 30,
         makeReader: @escaping () -> any LiveCapture) {
        self.name = name
        self.makeReader = makeReader
        self.initialBackoff = max(0.001, initialBackoff)
        self.maximumBackoff = max(self.initialBackoff, maximumBackoff)
        backoff = self.initialBackoff
    }

    var counters: SourceCounters {
        let current = capture?.queueCounters ?? BoundedFrameQueue.Counters()
        var counters = SourceCounters()
        counters.framesRead = retired.received + current.received
        counters.framesDropped = retired.dropped + current.dropped
        counters.queueHighWater = max(retired.highWater, current.highWater)
        counters.queueDepth = current.waiting
        counters.queueCapacity = max(retired.capacity, current.capacity)
        counters.losses = losses
        counters.starts = starts
        return counters
    }

    func poll(now: Double) -> SourcePoll {
        if capture == nil {
            guard now >= retryAt else { return .wait(min(0.05, retryAt - now)) }
            let reader = makeReader()
            let problems = self.problems
            reader.onIssue = { issue in
                // A capture that ends with an error is reported once, as `source-lost` (below).
                guard !issue.isBenign, issue.kind != "capture-error" else { return }
                problems.add(SourceProblem(kind: issue.kind, message: issue.description, countsAsRecordIssue: true))
            }
            do {
                try reader.start()
                capture = reader
                starts += 1
                backoff = initialBackoff
            } catch {
                problems.add(SourceProblem(kind: "source-unavailable",
                                           message: "\(error); retrying in \(Self.seconds(backoff)) s", countsAsRecordIssue: false))
                scheduleRetry(now: now)
                return .wait(0.05)
            }
        }
        guard let capture else { return .wait(0.01) }
        // Frames come through the capture's bounded queue (filled on its own thread).
        if let frame = (try? capture.nextFrame()) ?? nil { return .frame(frame) }
        if let failure = capture.failure {
            // The device went away (frames delivered before that were taken above): reopen it later.
            capture.stop()
            retire(capture)
            self.capture = nil
            losses += 1
            problems.add(SourceProblem(kind: "source-lost", message: "\(failure); retrying in \(Self.seconds(backoff)) s",
                                       countsAsRecordIssue: false))
            scheduleRetry(now: now)
            return .lost(reason: "source-lost")
        }
        return .wait(0.002)
    }

    /// Keeps a lost capture's queue counters.
    private func retire(_ capture: any LiveCapture) {
        let last = capture.queueCounters
        retired.received += last.received
        retired.dropped += last.dropped
        retired.highWater = max(retired.highWater, last.highWater)
        retired.capacity = max(retired.capacity, last.capacity)
    }

    private func scheduleRetry(now: Double) {
        retryAt = now + backoff
        backoff = min(maximumBackoff, backoff * 2)
    }

    /// `2`, `0.25`: whole seconds without a fraction.
    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String((value * 1000).rounded() / 1000)
    }

    func takeProblems() -> [SourceProblem] {
        let dropped = counters.framesDropped
        if dropped > droppedReported {
            let now = MonotonicClock.now()
            if now - lastShedReport >= 5 {
                problems.add(SourceProblem(kind: "load-shed",
                                           message: "pipeline behind: \(dropped - droppedReported) frames dropped (oldest first; \(dropped) in all)",
                                           countsAsRecordIssue: false))
                droppedReported = dropped
                lastShedReport = now
            }
        }
        return problems.take()
    }

    func close() {
        if let capture {
            capture.stop()
            retire(capture)
        }
        capture = nil
    }
}
