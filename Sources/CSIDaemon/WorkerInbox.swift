import Foundation

/// The hand-over from the reader thread to one pipeline worker: a queue that never loses a message.
///
/// Live captures shed load before this point (``BoundedFrameQueue`` drops their oldest frames when the daemon
/// falls behind, and counts them). The bound is kept by the reader: while a worker's ``backlog`` is at
/// ``capacity`` it reads no replay (its loop still turns, for heartbeats, the watchdog and requests), and the live
/// frames it reads for that worker push out that worker's oldest waiting live frames (``removeOldest(upTo:where:)``,
/// counted), so a `put` never blocks and one slow worker does not hold back the others' streams. Control messages
/// and replayed frames are never removed. Messages are handed over in batches: the
/// reader fills a local array and puts it whole, the worker takes everything waiting at once, and the arrays swap
/// storage, so a steady flow allocates nothing.
final class WorkerInbox<Message>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Waiting messages, oldest first.
    private var items: [Message] = []
    /// Messages the worker has taken and not finished yet.
    private var inFlight = 0
    /// The backlog at which the reader stops reading sources.
    let capacity: Int

    /// Creates an empty inbox whose reader holds back at `capacity` messages.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        items.reserveCapacity(self.capacity)
    }

    /// Messages waiting or being processed.
    var backlog: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count + inFlight
    }

    /// Appends `messages` (in order) and empties the array; never waits.
    func put(_ messages: inout [Message]) {
        guard !messages.isEmpty else { return }
        condition.lock()
        if items.isEmpty {
            swap(&items, &messages)
        } else {
            items.append(contentsOf: messages)
            messages.removeAll(keepingCapacity: true)
        }
        condition.signal()
        condition.unlock()
    }

    /// Moves every waiting message into `batch` (which must be empty), waiting up to `timeout` seconds when there
    /// is none; call ``finished()`` once they are processed.
    func take(into batch: inout [Message], timeout: Double) {
        condition.lock()
        if items.isEmpty { _ = condition.wait(until: Date(timeIntervalSinceNow: timeout)) }
        swap(&items, &batch)
        inFlight = batch.count
        condition.unlock()
    }

    /// Removes up to `count` of the oldest waiting messages (not those the worker has taken) for which `shed` is
    /// true, keeping the others in order; returns how many it removed. The reader sheds a backed-up worker's oldest
    /// live frames this way, so that worker cannot hold back the streams of the others.
    func removeOldest(upTo count: Int, where shed: (Message) -> Bool) -> Int {
        condition.lock()
        defer { condition.unlock() }
        var removed = 0
        items.removeAll { message in
            guard removed < count, shed(message) else { return false }
            removed += 1
            return true
        }
        return removed
    }

    /// The messages last taken are processed.
    func finished() {
        condition.lock()
        inFlight = 0
        condition.unlock()
    }
}
