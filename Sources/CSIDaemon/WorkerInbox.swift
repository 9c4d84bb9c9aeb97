import Foundation

/// The hand-over from the reader thread to one pipeline worker: a bounded queue that never loses a message.
///
/// Live captures shed load before this point (``BoundedFrameQueue`` drops their oldest frames when the daemon
/// falls behind, and counts them); past it, every frame is the pipeline's and must be processed, so a full inbox
/// makes the reader wait instead. Messages are handed over in batches: the reader fills a local array and puts it
/// whole, the worker takes everything waiting at once, and the two arrays swap storage, so a steady flow
/// allocates nothing.
final class WorkerInbox<Message>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Waiting messages, oldest first.
    private var items: [Message] = []
    /// Most messages waiting before `put` blocks.
    let capacity: Int
    /// Most messages ever waiting at once, and the times `put` had to wait for room.
    private(set) var highWater = 0, stalls = 0

    /// Creates an empty inbox holding up to `capacity` messages (more are accepted by one `put` when the inbox was
    /// below it).
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        items.reserveCapacity(self.capacity)
    }

    /// Appends `messages` (in order) and empties the array; waits while the inbox is full.
    func put(_ messages: inout [Message]) {
        guard !messages.isEmpty else { return }
        condition.lock()
        if items.count >= capacity {
            stalls += 1
            while items.count >= capacity { condition.wait() }
        }
        if items.isEmpty {
            swap(&items, &messages)
        } else {
            items.append(contentsOf: messages)
            messages.removeAll(keepingCapacity: true)
        }
        highWater = max(highWater, items.count)
        condition.broadcast()
        condition.unlock()
    }

    /// Moves every waiting message into `batch` (which must be empty), waiting up to `timeout` seconds when there
    /// is none.
    func take(into batch: inout [Message], timeout: Double) {
        condition.lock()
        if items.isEmpty { _ = condition.wait(until: Date(timeIntervalSinceNow: timeout)) }
        swap(&items, &batch)
        condition.broadcast()
        condition.unlock()
    }
}
