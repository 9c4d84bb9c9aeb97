import CSICapture
import CSIEvents
import Foundation
import NIOConcurrencyHelpers

/// What a source has for the pipeline thread right now.
enum SourcePoll {
    /// A frame, due now.
    case frame(CSIFrame)
    /// Nothing due; ask again in at most this many seconds.
    case wait(Double)
    /// The source is finished for good.
    case ended(reason: String)
    /// The source's device went away (its streams go down with this reason); the source keeps trying to reopen it.
    case lost(reason: String)
}

/// A source's own counters (reported in `status`; dropped frames also in heartbeats).
public struct SourceCounters: Sendable, Hashable {
    /// Frames the source produced (for a live source: received from the device, including dropped ones).
    public var framesRead = 0
    /// Frames dropped because the pipeline fell behind (bounded live queue full; the oldest go first).
    public var framesDropped = 0
    /// Most frames ever waiting in the live queue.
    public var queueHighWater = 0
    /// Frames waiting in the live queue now, and how many it holds (0 and 0 for a replay file).
    public var queueDepth = 0, queueCapacity = 0
    /// Followed file: times it was truncated (reopened from its start) and rotated (the new file opened).
    public var truncations = 0, rotations = 0
    /// Live source: times the device was lost, and times capture (re)started.
    public var losses = 0, starts = 0
    /// Creates zeroed counters.
    public init() {}

    /// Several sources' counters added up (`queueHighWater` is the highest of them).
    public static func total<S: Sequence>(_ counters: S) -> SourceCounters where S.Element == SourceCounters {
        counters.reduce(into: SourceCounters()) { total, counters in
            total.framesRead += counters.framesRead
            total.framesDropped += counters.framesDropped
            total.queueHighWater = max(total.queueHighWater, counters.queueHighWater)
            total.queueDepth += counters.queueDepth
            total.queueCapacity += counters.queueCapacity
            total.truncations += counters.truncations
            total.rotations += counters.rotations
            total.losses += counters.losses
            total.starts += counters.starts
        }
    }
}

/// A problem a source reports to the pipeline (published as `stream.error`).
struct SourceProblem: Sendable {
    var kind: String
    var message: String
    var countsAsRecordIssue: Bool
}

/// A source polled by the pipeline thread. Never blocks.
protocol FrameSource: AnyObject {
    /// `replay:FILE`, `pcap:IFACE`, `netlink`.
    var name: String { get }
    /// The next due frame, a wait hint, or the end. `now` is monotonic seconds.
    func poll(now: Double) -> SourcePoll
    /// Problems since the last call (corrupt records, interface errors).
    func takeProblems() -> [SourceProblem]
    /// Counters so far.
    var counters: SourceCounters { get }
    /// Releases the device or file.
    func close()
}

/// Collects reader issues from any thread.
final class ProblemBox: Sendable {
    private let box = NIOLockedValueBox<[SourceProblem]>([])
    func add(_ problem: SourceProblem) { box.withLockedValue { if $0.count < 1000 { $0.append(problem) } } }
    func take() -> [SourceProblem] {
        box.withLockedValue { problems in
            let taken = problems
            problems.removeAll()
            return taken
        }
    }
}

/// Replays a capture file paced by its timestamps x `speed` (0 = as fast as possible), optionally in a loop
/// (each pass shifted in time so capture time keeps increasing), or follows it as it grows (`follow`, like
/// `tail -F`): at the end of the data it waits; every `checkInterval` seconds it compares the path with the open
/// file, and a smaller size than already read (truncation: reopened from the start) or another inode (rotation:
/// the old file is read to its end, then the new one opened) is counted, reported and logged. Capture time stays
/// increasing across reopenings.
final class ReplaySource: FrameSource {
    let name: String
    private let path: String
    private let speed: Double
    private let loop: Bool
    private let follow: Bool
    private let checkInterval: Double
    private var reader: (any CaptureReader)?
    private let problems = ProblemBox()
    private(set) var counters = SourceCounters()
    /// The next frame read but not yet due.
    private var pending: CSIFrame?
    /// Capture time of the first frame and monotonic time it was released.
    private var firstCaptureTime: Double?, startedAt = 0.0
    /// Added to timestamps of the current pass; the last released timestamp.
    private var offset = 0.0, lastTimestamp = 0.0
    /// Follow mode: the open file's identity and largest size seen, the next check, and a rotation seen whose
    /// old file is still being drained.
    private var device: UInt64 = 0, inode: UInt64 = 0, sizeSeen: Int64 = 0
    private var nextCheck = 0.0, rotationSeen = false, missingReported = false
    /// The first frame after a reopening must continue capture time.
    private var reopened = false

    init(path: String, speed: Double, loop: Bool, follow: Bool = false, checkInterval: Double = 0.2) throws {
        self.name = "replay:\(path)"
        self.path = path
        self.speed = speed
        self.loop = loop && !follow
        self.follow = follow
        self.checkInterval = checkInterval
        try open()
    }

    private func open() throws {
        var info = stat()
        let identified = stat(path, &info) == 0
        let reader = try CaptureFile.open(path: path, options: CaptureOptions(follow: follow))
        let problems = self.problems
        reader.onIssue = { issue in
            guard !issue.isBenign else { return }
            problems.add(SourceProblem(kind: issue.kind, message: issue.description, countsAsRecordIssue: true))
        }
        self.reader = reader
        if identified {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            sizeSeen = Int64(info.st_size)
        }
    }

    func poll(now: Double) -> SourcePoll {
        if pending == nil {
            do {
                pending = try reader?.nextFrame()
            } catch {
                return .ended(reason: "source-error: \(error)")
            }
            if pending == nil {
                if follow { return followAtEnd(now: now) }
                guard loop, firstCaptureTime != nil else { return .ended(reason: "source-ended") }
                // Next pass: reopen, and shift its timestamps to follow the last frame released.
                do { try open() } catch { return .ended(reason: "source-error: \(error)") }
                guard let first = try? reader?.nextFrame() else { return .ended(reason: "source-ended") }
                offset = lastTimestamp + 0.01 - first.timestamp
                pending = first
            }
            if reopened, let first = pending {
                // A reopened file (truncated or rotated) may restart its clock: keep capture time increasing.
                reopened = false
                if first.timestamp + offset <= lastTimestamp { offset = lastTimestamp + 0.01 - first.timestamp }
                firstCaptureTime = nil
            }
        }
        guard var frame = pending else { return .wait(0.001) }
        frame.timestamp += offset
        if firstCaptureTime == nil { firstCaptureTime = frame.timestamp; startedAt = now }
        if speed > 0, let first = firstCaptureTime {
            let due = startedAt + (frame.timestamp - first) / speed
            if due > now { return .wait(due - now) }
        }
        pending = nil
        lastTimestamp = frame.timestamp
        counters.framesRead += 1
        return .frame(frame)
    }

    /// Follow mode at the end of the data: wait, and every `checkInterval` look for truncation or rotation.
    private func followAtEnd(now: Double) -> SourcePoll {
        if rotationSeen {
            // The old file has been read to its end: switch to the new one.
            rotationSeen = false
            reopen(kind: "source-rotated", message: "\(path) was rotated (a new file took its name); reading the new file")
            counters.rotations += 1
            return .wait(0)
        }
        guard now >= nextCheck else { return .wait(min(0.02, nextCheck - now)) }
        nextCheck = now + checkInterval
        var info = stat()
        guard stat(path, &info) == 0 else {
            if !missingReported {
                missingReported = true
                problems.add(SourceProblem(kind: "source-missing", message: "\(path) is gone; waiting for it to reappear",
                                           countsAsRecordIssue: false))
            }
            return .wait(0.02)
        }
        missingReported = false
        if UInt64(info.st_dev) != device || UInt64(info.st_ino) != inode {
            rotationSeen = true          // drain what was appended to the old file before switching
            return .wait(0)
        }
        let consumed = (reader as? any CaptureProgressReporting).map { Int64($0.bytesConsumed) } ?? 0
        if Int64(info.st_size) < max(consumed, sizeSeen) {
            reopen(kind: "source-truncated",
                   message: "\(path) was truncated to \(info.st_size) bytes (had read \(consumed)); reading it from the start")
            counters.truncations += 1
            return .wait(0)
        }
        sizeSeen = Int64(info.st_size)
        return .wait(0.02)
    }

    private func reopen(kind: String, message: String) {
        problems.add(SourceProblem(kind: kind, message: message, countsAsRecordIssue: false))
        do {
            try open()
            reopened = true
        } catch {
            // Not readable yet (e.g. created but empty of a header): keep the old reader, try again later.
            problems.add(SourceProblem(kind: "source-unavailable", message: "\(error); retrying", countsAsRecordIssue: false))
        }
    }

    func takeProblems() -> [SourceProblem] { problems.take() }

    func close() { reader = nil }
}

/// A live source (libpcap interface or Intel netlink), started with retries and exponential backoff when the
/// device is missing, and restarted the same way when it goes away while capturing (its streams then go down
/// with reason `source-lost` and come back up with the first frame after a successful restart). Frames reach the
/// pipeline through the capture's ``BoundedFrameQueue`` (load shedding with counters, never an unbounded queue);
/// the counters of captures that were lost are kept, so the source's counters never go back.
final class LiveSource: FrameSource {
    let name: String
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
