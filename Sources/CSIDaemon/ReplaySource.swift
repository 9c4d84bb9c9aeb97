import CSICapture
import Foundation

/// Replays a capture file paced by its timestamps x `speed` (0 = as fast as possible), optionally in a loop
/// (each pass shifted in time so capture time keeps increasing), or follows it as it grows (`follow`, like
/// `tail -F`): at the end of the data it waits; every `checkInterval` seconds it compares the path with the open
/// file, and a smaller size than already read (truncation: reopened from the start) or another inode (rotation:
/// the old file is read to its end, then the new one opened) is counted, reported and logged. Capture time stays
/// increasing across reopenings.
final class ReplaySource: FrameSource {
    let name: String
    /// A replay waits for the pipeline: nothing of a file is shed.
    let isLive = false
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
