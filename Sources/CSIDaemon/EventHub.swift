import CSIEvents
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Which events a subscriber receives. Default: every type except `prediction`, every stream.
public struct SubscriptionFilter: Sendable, Hashable {
    /// Accepted types (`nil`: all but `prediction`).
    public var types: Set<EventType>?
    /// Accepted stream keys (`nil`: all). Daemon-wide events (no stream) always pass.
    public var streams: Set<String>?

    /// Creates a filter.
    public init(types: Set<EventType>? = nil, streams: Set<String>? = nil) {
        self.types = types
        self.streams = streams
    }

    /// True when an event of `type` on `stream` passes.
    public func accepts(type: EventType, stream: String?) -> Bool {
        if let types { if !types.contains(type) { return false } } else if type == .prediction { return false }
        if let streams, let stream, !streams.contains(stream) { return false }
        return true
    }
}

/// Fans events out to subscribers: each event is encoded once; every subscriber has a bounded queue that drops
/// its OLDEST line when full (counted, and reported to that subscriber as `subscriber.gap`). Publishing never
/// blocks, so a stalled subscriber cannot slow the pipeline or the others. Thread-safe.
///
/// The hub also folds what it publishes into the current state (streams up, each one's running activity and last
/// fall: ``StreamState``), and a new subscriber's first line is a `state` event with it, stamped with the `seq` and
/// capture time of the last event published before it (its next line has a larger `seq`).
public final class EventHub: Sendable {
    /// One subscriber's queue and counters.
    private struct Subscriber {
        var filter: SubscriptionFilter
        let continuation: AsyncStream<ByteBuffer>.Continuation
        /// Lines dropped since the last gap notice.
        var unreported = 0
        /// Monotonic time it connected, and whether it has set its filter.
        var connectedAt: Double
        var configured = false
    }

    /// A subscriber's end: the lines to write, and its id for filter changes and `unsubscribe`.
    public struct Subscription: Sendable {
        /// Identifier within this hub.
        public let id: Int
        /// NDJSON lines (each one event, ending in `\n`).
        public let lines: AsyncStream<ByteBuffer>
    }

    /// A consumer of events as values (the MQTT bridge), with a bounded queue that drops its oldest.
    private struct Observer {
        var filter: SubscriptionFilter
        let continuation: AsyncStream<Event>.Continuation
        var unreported = 0
    }

    /// An in-process consumer's end: the events (the `state` greeting first), and its id for ``unsubscribe(_:)``,
    /// ``finish(_:)`` and ``takeDrops(for:)``.
    public struct EventSubscription: Sendable {
        /// Identifier within this hub (shared with ``Subscription`` ids).
        public let id: Int
        /// The events its filter accepts, in order.
        public let events: AsyncStream<Event>
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var observers: [Int: Observer] = [:]
        var nextID = 0
        var droppedTotal = 0
        var encoder = NDJSONEncoder()
        /// How many subscribers accept each type (to skip building unwanted events).
        var wanted: [EventType: Int] = [:]
        /// The streams up now, by key (folded from the published events).
        var streams: [String: StreamState] = [:]
        /// `seq` and capture time of the last published event.
        var lastSeq: UInt64 = 0
        var lastTime: Double = 0

        /// The `state` event a new consumer gets first: the streams up now, stamped with the last event's seq/time.
        func greeting() -> Event {
            Event(seq: lastSeq, time: lastTime, wallTime: Date().timeIntervalSince1970, stream: nil,
                  payload: .state(streams: streams.keys.sorted().map { streams[$0]! }))
        }
    }

    private let state = NIOLockedValueBox(State())
    /// Lines queued per subscriber before the oldest is dropped.
    public let queueCapacity: Int
    private let allocator = ByteBufferAllocator()

    /// Creates a hub with per-subscriber queues of `queueCapacity` lines.
    public init(queueCapacity: Int = 256) {
        self.queueCapacity = max(1, queueCapacity)
    }

    /// Adds a subscriber with `filter`; its first line is the `state` event (whatever the filter: it is the
    /// connection's greeting).
    public func subscribe(filter: SubscriptionFilter = SubscriptionFilter()) -> Subscription {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(queueCapacity))
        let id = state.withLockedValue { state in
            let id = state.nextID
            state.nextID += 1
            continuation.yield(allocator.buffer(bytes: state.encoder.encode(state.greeting())))
            state.subscribers[id] = Subscriber(filter: filter, continuation: continuation, connectedAt: MonotonicClock.now())
            Self.count(filter, into: &state.wanted, delta: 1)
            return id
        }
        return Subscription(id: id, lines: stream)
    }

    /// Adds an in-process consumer of events as values (the MQTT bridge; one more consumer, like a socket
    /// subscriber, that never calls back into the pipeline). It gets the `state` event first, then every event
    /// `filter` accepts; its queue keeps `capacity` events and drops the oldest (``takeDrops(for:)``). It does not
    /// count as a subscriber in heartbeats and `status`.
    public func subscribeEvents(filter: SubscriptionFilter = SubscriptionFilter(), capacity: Int = 4096) -> EventSubscription {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(max(1, capacity)))
        let id = state.withLockedValue { state in
            let id = state.nextID
            state.nextID += 1
            continuation.yield(state.greeting())
            state.observers[id] = Observer(filter: filter, continuation: continuation)
            Self.count(filter, into: &state.wanted, delta: 1)
            return id
        }
        return EventSubscription(id: id, events: stream)
    }

    /// Changes a subscriber's filter.
    public func setFilter(_ filter: SubscriptionFilter, for id: Int) {
        state.withLockedValue { state in
            guard let old = state.subscribers[id]?.filter else { return }
            Self.count(old, into: &state.wanted, delta: -1)
            Self.count(filter, into: &state.wanted, delta: 1)
            state.subscribers[id]?.filter = filter
            state.subscribers[id]?.configured = true
        }
    }

    /// True when a subscriber is ready for events: it has set its filter, or has been connected for `grace`
    /// seconds without sending one (it takes the default). Used by `wait_for_subscriber`.
    public func hasReadySubscriber(grace: Double) -> Bool {
        let now = MonotonicClock.now()
        return state.withLockedValue { state in
            state.subscribers.values.contains { $0.configured || now - $0.connectedAt >= grace }
        }
    }

    /// Removes a subscriber and finishes its line stream.
    public func unsubscribe(_ id: Int) {
        let (removed, observer) = state.withLockedValue { state -> (Subscriber?, Observer?) in
            if let observer = state.observers.removeValue(forKey: id) {
                Self.count(observer.filter, into: &state.wanted, delta: -1)
                return (nil, observer)
            }
            guard let subscriber = state.subscribers.removeValue(forKey: id) else { return (nil, nil) }
            Self.count(subscriber.filter, into: &state.wanted, delta: -1)
            return (subscriber, nil)
        }
        removed?.continuation.finish()
        observer?.continuation.finish()
    }

    /// Ends a subscriber's line stream after the lines already queued (shutdown drain); it keeps its drop count
    /// (for a last `subscriber.gap` notice) until ``unsubscribe(_:)``.
    public func finish(_ id: Int) {
        let (continuation, observer) = state.withLockedValue { ($0.subscribers[id]?.continuation, $0.observers[id]?.continuation) }
        continuation?.finish()
        observer?.finish()
    }

    /// Finishes every subscriber's stream (shutdown).
    public func finishAll() {
        let (all, observers) = state.withLockedValue { state in
            defer { state.subscribers.removeAll(); state.observers.removeAll(); state.wanted.removeAll() }
            return (Array(state.subscribers.values), Array(state.observers.values))
        }
        for subscriber in all { subscriber.continuation.finish() }
        for observer in observers { observer.continuation.finish() }
    }

    /// Number of subscribers connected.
    public var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }

    /// Lines dropped for slow subscribers since start.
    public var droppedTotal: Int { state.withLockedValue { $0.droppedTotal } }

    /// True when at least one subscriber accepts `type` (on some stream).
    public func wants(_ type: EventType) -> Bool { state.withLockedValue { ($0.wanted[type] ?? 0) > 0 } }

    /// Lines dropped for subscriber `id` since the last call (the writer sends a `subscriber.gap` line for them).
    public func takeDrops(for id: Int) -> Int {
        state.withLockedValue { state in
            if let observer = state.observers[id] {
                state.observers[id]?.unreported = 0
                return observer.unreported
            }
            let dropped = state.subscribers[id]?.unreported ?? 0
            state.subscribers[id]?.unreported = 0
            return dropped
        }
    }

    /// Encodes `event` once and queues it for every subscriber whose filter accepts it. Never blocks.
    public func publish(_ event: Event) {
        state.withLockedValue { state in
            StreamState.apply(event, to: &state.streams)
            state.lastSeq = max(state.lastSeq, event.seq)
            state.lastTime = event.time
            for (id, observer) in state.observers where observer.filter.accepts(type: event.type, stream: event.stream) {
                if case .dropped = observer.continuation.yield(event) { state.observers[id]?.unreported += 1 }
            }
            guard !state.subscribers.isEmpty else { return }
            var line: ByteBuffer?
            for (id, subscriber) in state.subscribers where subscriber.filter.accepts(type: event.type, stream: event.stream) {
                if line == nil { line = allocator.buffer(bytes: state.encoder.encode(event)) }
                if case .dropped = subscriber.continuation.yield(line!) {
                    state.subscribers[id]?.unreported += 1
                    state.droppedTotal += 1
                }
            }
        }
    }

    /// Encodes a one-off line (a `subscriber.gap` notice or a reply) the same way.
    public func encodeLine(_ event: Event) -> ByteBuffer {
        state.withLockedValue { state in allocator.buffer(bytes: state.encoder.encode(event)) }
    }

    private static func count(_ filter: SubscriptionFilter, into wanted: inout [EventType: Int], delta: Int) {
        for type in EventType.allCases where filter.types?.contains(type) ?? (type != .prediction) {
            wanted[type, default: 0] += delta
        }
    }
}
