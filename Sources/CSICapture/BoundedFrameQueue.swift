import Foundation

/// The one bounded frame queue between a live capture thread and the thread that consumes its frames.
///
/// A fixed ring of `capacity` frames, allocated once. When it is full the OLDEST frame is dropped and counted (load
/// shedding: for live events the newest data is the most useful, and the capture thread never blocks). Counters:
/// frames received, dropped, waiting now, and the most ever waiting. Thread-safe.
public final class BoundedFrameQueue: @unchecked Sendable {
    /// What a queue has seen.
    public struct Counters: Sendable, Hashable {
        /// Frames pushed (dropped ones included).
        public var received = 0
        /// Frames dropped because the queue was full (the oldest go first).
        public var dropped = 0
        /// Frames waiting now.
        public var waiting = 0
        /// Most frames ever waiting.
        public var highWater = 0
        /// The queue's size.
        public var capacity = 0
        /// Zeroed counters.
        public init() {}
    }

    /// The queue's size (frames).
    public let capacity: Int
    /// Guards everything below and signals new frames.
    private let condition = NSCondition()
    /// The frames, (capacity,) ring from `head`, `count` of them.
    private var ring: [CSIFrame?]
    private var head = 0, count = 0
    private var received = 0, dropped = 0, highWater = 0

    /// Creates a queue of `capacity` frames (at least 1).
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        ring = [CSIFrame?](repeating: nil, count: self.capacity)
    }

    /// Adds a frame (capture thread). Returns `true` when the oldest frame was dropped to make room.
    @discardableResult
    public func push(_ frame: CSIFrame) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        received += 1
        var droppedOne = false
        if count == ring.count {
            ring[head] = nil
            head = (head + 1) % ring.count
            count -= 1
            dropped += 1
            droppedOne = true
        }
        ring[(head + count) % ring.count] = frame
        count += 1
        highWater = max(highWater, count)
        condition.signal()
        return droppedOne
    }

    /// The oldest frame, waiting up to `timeout` seconds for one (0: do not wait); `nil` when none came.
    public func pop(timeout: Double = 0) -> CSIFrame? {
        condition.lock()
        defer { condition.unlock() }
        if count == 0 && timeout > 0 {
            let deadline = Date(timeIntervalSinceNow: timeout)
            while count == 0 && condition.wait(until: deadline) {}
        }
        guard count > 0 else { return nil }
        let frame = ring[head]
        ring[head] = nil
        head = (head + 1) % ring.count
        count -= 1
        return frame
    }

    /// Wakes a consumer waiting in ``pop(timeout:)`` (e.g. the capture ended).
    public func wake() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// The counters now.
    public var counters: Counters {
        condition.lock()
        defer { condition.unlock() }
        var counters = Counters()
        counters.received = received
        counters.dropped = dropped
        counters.waiting = count
        counters.highWater = highWater
        counters.capacity = capacity
        return counters
    }
}
