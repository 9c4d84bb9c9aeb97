import CSICapture
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
    /// The source's device went away (its streams go down); the source keeps trying to reopen it.
    case lost(reason: String)
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
/// (each pass shifted in time so capture time keeps increasing).
final class ReplaySource: FrameSource {
    let name: String
    private let path: String
    private let speed: Double
    private let loop: Bool
    private var reader: (any CaptureReader)?
    private let problems = ProblemBox()
    /// The next frame read but not yet due.
    private var pending: CSIFrame?
    /// Capture time of the first frame and monotonic time it was released.
    private var firstCaptureTime: Double?, startedAt = 0.0
    /// Added to timestamps of the current pass; the last released timestamp.
    private var offset = 0.0, lastTimestamp = 0.0

    init(path: String, speed: Double, loop: Bool) throws {
        self.name = "replay:\(path)"
        self.path = path
        self.speed = speed
        self.loop = loop
        try open()
    }

    private func open() throws {
        let reader = try CaptureFile.open(path: path)
        let problems = self.problems
        reader.onIssue = { issue in
            guard !issue.isBenign else { return }
            problems.add(SourceProblem(kind: issue.kind, message: issue.description, countsAsRecordIssue: true))
        }
        self.reader = reader
    }

    func poll(now: Double) -> SourcePoll {
        if pending == nil {
            do {
                pending = try reader?.nextFrame()
            } catch {
                return .ended(reason: "source-error: \(error)")
            }
            if pending == nil {
                guard loop, firstCaptureTime != nil else { return .ended(reason: "source-ended") }
                // Next pass: reopen, and shift its timestamps to follow the last frame released.
                do { try open() } catch { return .ended(reason: "source-error: \(error)") }
                guard let first = try? reader?.nextFrame() else { return .ended(reason: "source-ended") }
                offset = lastTimestamp + 0.01 - first.timestamp
                pending = first
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
        return .frame(frame)
    }

    func takeProblems() -> [SourceProblem] { problems.take() }

    func close() { reader = nil }
}

/// A live source (libpcap interface or Intel netlink), started with retries and exponential backoff when the
/// device is missing, and restarted the same way when it goes away while capturing (its streams then go down
/// with reason `source-lost` and come back up with the first frame after a successful restart).
final class LiveSource: FrameSource {
    let name: String
    private let makeReader: () -> any LiveCapture
    private var capture: (any LiveCapture)?
    private let problems = ProblemBox()
    /// Next start attempt (monotonic) and the current backoff.
    private var retryAt = 0.0, backoff: Double
    /// First and longest backoff, seconds.
    private let initialBackoff: Double, maximumBackoff: Double

    init(name: String, initialBackoff: Double = 1, maximumBackoff: Double = 30, makeReader: @escaping () -> any LiveCapture) {
        self.name = name
        self.makeReader = makeReader
        self.initialBackoff = max(0.001, initialBackoff)
        self.maximumBackoff = max(self.initialBackoff, maximumBackoff)
        backoff = self.initialBackoff
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
                try reader.start(onFrame: nil)
                capture = reader
                backoff = initialBackoff
            } catch {
                problems.add(SourceProblem(kind: "source-unavailable",
                                           message: "\(error); retrying in \(Self.seconds(backoff)) s", countsAsRecordIssue: false))
                scheduleRetry(now: now)
                return .wait(0.05)
            }
        }
        guard let capture else { return .wait(0.01) }
        if let frame = try? capture.nextFrame() { return .frame(frame) }
        if let failure = capture.failure {
            // The device went away (frames queued before that were taken above): reopen it later.
            capture.stop()
            self.capture = nil
            problems.add(SourceProblem(kind: "source-lost", message: "\(failure); retrying in \(Self.seconds(backoff)) s",
                                       countsAsRecordIssue: false))
            scheduleRetry(now: now)
            return .lost(reason: "source-lost")
        }
        return .wait(0.002)
    }

    private func scheduleRetry(now: Double) {
        retryAt = now + backoff
        backoff = min(maximumBackoff, backoff * 2)
    }

    /// `2`, `0.25`: whole seconds without a fraction.
    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String((value * 1000).rounded() / 1000)
    }

    func takeProblems() -> [SourceProblem] { problems.take() }

    func close() {
        capture?.stop()
        capture = nil
    }
}

/// The live readers' common surface.
protocol LiveCapture: CaptureReader {
    func start(onFrame: (@Sendable (CSIFrame) -> Void)?) throws
    func stop()
    /// Why the capture ended by itself (device gone), `nil` while it runs.
    var failure: String? { get }
}

extension PcapLiveSource: LiveCapture {}
extension Intel5300NetlinkSource: LiveCapture {}
