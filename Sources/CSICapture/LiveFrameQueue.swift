import Foundation

/// A bounded, thread-safe FIFO of frames between a live capture thread and its consumer, plus the source's
/// issue counters (which both threads touch).
///
/// When the queue is full the newest frame is dropped and counted (`queue-full`): the capture thread never
/// blocks and memory stays bounded.
final class LiveFrameQueue: @unchecked Sendable {
    /// Frames waiting for the consumer. (at most `capacity`)
    private var frames: [CSIFrame] = []
    /// Index of the oldest waiting frame in `frames`.
    private var head = 0
    /// Maximum number of waiting frames.
    let capacity: Int
    /// Guards everything below and signals new frames.
    private let condition = NSCondition()
    /// Issue counts and handler (guarded by `condition`).
    private var log: IssueLog
    /// Called for every frame on the capture thread (instead of queueing) when set.
    var onFrame: (@Sendable (CSIFrame) -> Void)?
    /// Why the capture thread ended on its own (interface gone, read error); guarded by `condition`.
    private var failureReason: String?

    /// Creates a queue for the live source `name`.
    init(name: String, capacity: Int) {
        self.capacity = max(1, capacity)
        self.log = IssueLog(source: name)
    }

    /// Delivers a frame from the capture thread: to `onFrame` when set, else into the queue.
    func deliver(_ frame: CSIFrame) {
        if let onFrame {
            onFrame(frame)
            return
        }
        condition.lock()
        defer { condition.unlock() }
        if frames.count - head >= capacity {
            log.report(offset: 0, kind: "queue-full", reason: "consumer too slow; frame dropped")
            return
        }
        if head > 1024 && head * 2 > frames.count {
            frames.removeFirst(head)
            head = 0
        }
        frames.append(frame)
        condition.signal()
    }

    /// Takes the oldest frame, waiting up to `timeout` seconds (0: do not wait).
    func take(timeout: Double = 0) -> CSIFrame? {
        condition.lock()
        defer { condition.unlock() }
        if head == frames.count && timeout > 0 {
            let deadline = Date(timeIntervalSinceNow: timeout)
            while head == frames.count && condition.wait(until: deadline) {}
        }
        guard head < frames.count else { return nil }
        let frame = frames[head]
        head += 1
        if head == frames.count {
            frames.removeAll(keepingCapacity: true)
            head = 0
        }
        return frame
    }

    /// Reports an issue (thread-safe).
    func report(offset: UInt64, kind: String, reason: String) {
        condition.lock()
        log.report(offset: offset, kind: kind, reason: reason)
        condition.unlock()
    }

    /// Records that the capture ended on its own (thread-safe; the first reason is kept).
    func fail(reason: String) {
        condition.lock()
        if failureReason == nil { failureReason = reason }
        condition.signal()
        condition.unlock()
    }

    /// Why the capture ended on its own, `nil` while it runs (or after a normal stop).
    var failure: String? {
        condition.lock()
        defer { condition.unlock() }
        return failureReason
    }

    /// Issue counts so far.
    var issueCounts: [String: Int] {
        condition.lock()
        defer { condition.unlock() }
        return log.counts
    }

    /// The issue handler.
    var issueHandler: (@Sendable (CaptureIssue) -> Void)? {
        get {
            condition.lock()
            defer { condition.unlock() }
            return log.handler
        }
        set {
            condition.lock()
            log.handler = newValue
            condition.unlock()
        }
    }
}
