import CSIEvents
import NIOConcurrencyHelpers

/// Stamps every event of the daemon with one run-wide sequence number and hands it on in that order, from any
/// pipeline worker's thread: `seq` is increasing for every subscriber although several workers publish, and the
/// events of one stream (which lives on one worker) keep their order.
///
/// The lock is held while the event is handed on, so the receiver (the ``EventHub``) sees the numbers in order.
public final class SequencedEmitter: @unchecked Sendable {
    private let lock = NIOLock()
    private var sequencer = EventSequencer()
    private let emit: (Event) -> Void

    /// Creates an emitter that hands every stamped event to `emit` (called under the emitter's lock; it must not
    /// publish through this emitter again).
    public init(emit: @escaping (Event) -> Void) {
        self.emit = emit
    }

    /// Stamps `event` with the next sequence number and hands it on.
    public func publish(_ event: Event) {
        var event = event
        lock.withLock {
            sequencer.stamp(&event)
            emit(event)
        }
    }
}
