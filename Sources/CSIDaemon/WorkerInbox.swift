import Foundation

/// The hand-over from the reader thread to one pipeline worker: a queue that never loses a message.
///
/// Live captures shed load before this point (``BoundedFrameQueue`` drops their oldest frames when the daemon
/// falls behind, and counts them). The bound is kept by the reader: while a worker's ``backlog`` is at
/// ``capacity`` it reads no replay (its loop still turns, for heartbeats, the watchdog and requests), and the live
/// frames it reads for that worker push out that worker's oldest waiting live frames (``removeOldest(upTo:where:)``,
/// counted), so a `put` never blocks and one slow worker does not hold back the others' streams. Control messages
/// and replayed frames are never removed. Messages are handed over in batches: the
/// reader fills a local array and puts it whole, the worker takes every waiting array at once and gives them back
/// emptied for the reader's next batches, so a steady flow neither copies a message nor allocates.
final class WorkerInbox<Message>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Waiting messages, oldest first, in the arrays the reader put (each handed over whole: a message is never
    /// copied on its way, and a frame's copy would cost a reference count per array).
    private var chunks: [[Message]] = []
    /// Messages in `chunks`.
    private var waiting = 0
    /// Emptied arrays (with their capacity) the worker gave back, for the reader's next batches.
    private var spare: [[Message]] = []
    /// Messages the worker has taken and not finished yet.
    private var inFlight = 0
    /// The backlog at which the reader stops reading sources.
    let capacity: Int
    /// Emptied arrays kept for reuse: enough for a full backlog of the reader's usual batches (8192 / 256), so a
    /// worker that catches up does not free what the reader then allocates again.
    private static var spareLimit: Int { 32 }

    /// Creates an empty inbox whose reader holds back at `capacity` messages.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Messages waiting or being processed.
    var backlog: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting + inFlight
    }

    /// Appends `messages` (in order) and leaves `messages` empty (an emptied array the worker gave back, when there
    /// is one); never waits.
    func put(_ messages: inout [Message]) {
        guard !messages.isEmpty else { return }
        condition.lock()
        var batch = spare.popLast() ?? []
        if batch.capacity < messages.count { batch.reserveCapacity(messages.count) }   // the reader's next batch
        swap(&batch, &messages)
        waiting += batch.count
        chunks.append(batch)
        condition.signal()
        condition.unlock()
    }

    /// Moves every waiting message into `batches` (which must be empty; oldest first, in the arrays they came in),
    /// waiting up to `timeout` seconds when there is none; call ``finished(_:)`` once they are processed.
    func take(into batches: inout [[Message]], timeout: Double) {
        condition.lock()
        if chunks.isEmpty { _ = condition.wait(until: Date(timeIntervalSinceNow: timeout)) }
        swap(&chunks, &batches)
        inFlight = waiting
        waiting = 0
        condition.unlock()
    }

    /// Removes up to `count` of the oldest waiting messages (not those the worker has taken) for which `shed` is
    /// true, keeping the others in order; returns how many it removed. The reader sheds a backed-up worker's oldest
    /// live frames this way, so that worker cannot hold back the streams of the others.
    func removeOldest(upTo count: Int, where shed: (Message) -> Bool) -> Int {
        condition.lock()
        defer { condition.unlock() }
        var removed = 0
        for index in chunks.indices where removed < count {
            chunks[index].removeAll { message in
                guard removed < count, shed(message) else { return false }
                removed += 1
                return true
            }
        }
        chunks.removeAll { $0.isEmpty }
        waiting -= removed
        return removed
    }

    /// The messages last taken are processed; `batches` (emptied, capacity kept) is kept for the reader's next
    /// batches, and left empty.
    func finished(_ batches: inout [[Message]]) {
        condition.lock()
        inFlight = 0
        for index in batches.indices where spare.count < Self.spareLimit {
            batches[index].removeAll(keepingCapacity: true)
            spare.append(batches[index])
        }
        batches.removeAll(keepingCapacity: true)
        condition.unlock()
    }
}
