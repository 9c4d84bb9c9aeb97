/// What waits to be published, bounded whatever the broker does. Two parts:
///
/// * **Events**, in order, at most `capacity` messages. When a new one arrives and the queue is full, the
///   OLDEST QoS 0 message (heartbeats, stream up/down/errors) is dropped; only when every queued message is
///   QoS 1 (falls, activities) is the oldest QoS 1 message dropped. Either way it is counted (``dropped``,
///   ``droppedQoS1``). So falls survive the longest outage the queue can hold, and a flood of QoS 0 messages never
///   pushes a fall out.
/// * **Retained topics** (discovery configs, availability, per-stream states): only the latest payload per topic
///   is kept, so they cost one message per topic however long the broker is away. A topic is sent again when its
///   payload changes, and every retained topic is sent again after each (re)connection (``connected()``), before
///   the queued events.
///
/// A value type without locks or I/O: ``MQTTBridge`` keeps it behind a lock.
public struct MQTTOutbox: Sendable {
    /// Most queued event messages.
    public let capacity: Int
    /// Event messages dropped because the queue was full, since start.
    public private(set) var dropped = 0
    /// Of ``dropped``, the QoS 1 ones.
    public private(set) var droppedQoS1 = 0

    private var events: [MQTTMessage] = []
    private var head = 0
    private var retained: [String: MQTTMessage] = [:]
    /// Retained topics in the order they were first set (discovery before states).
    private var retainedOrder: [String] = []
    /// Retained topics waiting to be sent, in order, and the same as a set.
    private var dirty: [String] = []
    private var dirtySet: Set<String> = []

    /// Creates an empty outbox for at most `capacity` event messages.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Event messages queued now.
    public var queuedEvents: Int { events.count - head }

    /// Retained topics waiting to be sent now.
    public var pendingRetained: Int { dirty.count }

    /// True when nothing waits.
    public var isEmpty: Bool { queuedEvents == 0 && dirty.isEmpty }

    /// Queues an event message (dropping per the policy above when full).
    public mutating func enqueue(_ message: MQTTMessage) {
        if queuedEvents >= capacity {
            let victim = events[head...].firstIndex { $0.qos == 0 } ?? head
            if events[victim].qos > 0 { droppedQoS1 += 1 }
            dropped += 1
            if victim == head { head += 1 } else { events.remove(at: victim) }
        }
        events.append(message)
        compact()
    }

    /// Sets a retained topic's payload; it is sent (again) when it differs from the last one set.
    public mutating func setRetained(_ message: MQTTMessage) {
        if let old = retained[message.topic] {
            if old == message { return }
        } else {
            retainedOrder.append(message.topic)
        }
        retained[message.topic] = message
        markDirty(message.topic)
    }

    /// Stops keeping `topic` and queues one empty retained message for it, which deletes it at the broker (and a
    /// Home Assistant discovery config with it). Retained topics are never dropped otherwise.
    public mutating func forgetRetained(_ topic: String) {
        guard retained.removeValue(forKey: topic) != nil else { return }
        retainedOrder.removeAll { $0 == topic }
        if dirtySet.remove(topic) != nil { dirty.removeAll { $0 == topic } }
        enqueue(MQTTMessage(topic: topic, payload: [], qos: 1, retain: true))
    }

    /// The current payload of a retained topic.
    public func retainedMessage(_ topic: String) -> MQTTMessage? { retained[topic] }

    /// After a (re)connection: every retained topic is to be sent again (the broker may have lost them).
    public mutating func connected() {
        for topic in retainedOrder { markDirty(topic) }
    }

    /// Takes the next message to publish: pending retained topics first, then the oldest event.
    public mutating func next() -> MQTTMessage? {
        if !dirty.isEmpty {
            let topic = dirty.removeFirst()
            dirtySet.remove(topic)
            return retained[topic]
        }
        guard head < events.count else { return nil }
        let message = events[head]
        head += 1
        compact()
        return message
    }

    /// Puts back a message that could not be handed to the connection (it goes first again).
    public mutating func putBack(_ message: MQTTMessage) {
        if message.retain && retained[message.topic] != nil {
            if !dirtySet.contains(message.topic) {
                dirty.insert(message.topic, at: 0)
                dirtySet.insert(message.topic)
            }
            return
        }
        if head > 0 {
            head -= 1
            events[head] = message
        } else {
            events.insert(message, at: 0)
        }
    }

    private mutating func markDirty(_ topic: String) {
        if dirtySet.insert(topic).inserted { dirty.append(topic) }
    }

    /// Drops consumed slots once they are half the array (amortised O(1) per message).
    private mutating func compact() {
        if head > 64 && head * 2 >= events.count {
            events.removeFirst(head)
            head = 0
        }
    }
}
