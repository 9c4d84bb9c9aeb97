import Foundation

/// What a live capture's thread shares with its consumer: the frames (one ``BoundedFrameQueue``, which drops the
/// oldest when full), the issue counters, and why the capture ended on its own. Thread-safe.
final class LiveCaptureState: @unchecked Sendable {
    /// The frames waiting for the consumer.
    let frames: BoundedFrameQueue
    /// Guards `log` and `failureReason`.
    private let lock = NSLock()
    /// Issue counts and handler.
    private var log: IssueLog
    /// Why the capture thread ended on its own (interface gone, read error).
    private var failureReason: String?

    /// Creates the state of the live source `name` with a queue of `capacity` frames.
    init(name: String, capacity: Int) {
        frames = BoundedFrameQueue(capacity: capacity)
        log = IssueLog(source: name)
    }

    /// Reports an issue (thread-safe).
    func report(offset: UInt64, kind: String, reason: String) {
        lock.lock()
        log.report(offset: offset, kind: kind, reason: reason)
        lock.unlock()
    }

    /// Records that the capture ended on its own (the first reason is kept) and wakes a waiting consumer.
    func fail(reason: String) {
        lock.lock()
        if failureReason == nil { failureReason = reason }
        lock.unlock()
        frames.wake()
    }

    /// Why the capture ended on its own, `nil` while it runs (or after a normal stop).
    var failure: String? {
        lock.lock()
        defer { lock.unlock() }
        return failureReason
    }

    /// Issue counts so far.
    var issueCounts: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return log.counts
    }

    /// The issue handler.
    var issueHandler: (@Sendable (CaptureIssue) -> Void)? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return log.handler
        }
        set {
            lock.lock()
            log.handler = newValue
            lock.unlock()
        }
    }
}
