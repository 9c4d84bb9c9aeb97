import CSIEvents
import Foundation
import NIOConcurrencyHelpers

/// Publishes csihard's events to an MQTT broker (docs/mqtt.md): one more consumer of the daemon's events, fed by
/// ``handle(_:)`` and ``update(diagnostics:)``; it never calls back into the pipeline.
///
/// * Each event (not `prediction`, `state` or `subscriber.gap`) goes to ``MQTTTopics/eventTopic(stream:)`` as the
///   same JSON the socket sends (without the newline), QoS 1 for `fall.detected`, `activity.started` and
///   `activity.ended`, QoS 0 otherwise; a fall also sends `ON` to the stream's `fall` topic (QoS 1).
/// * Retained: the daemon's availability (`online`; `offline` at shutdown and as the last will), its counters,
///   and per stream its availability, state (``MQTTStreamStates``) and Home Assistant discovery configs
///   (``HomeAssistantDiscovery``), all sent again after every reconnection.
/// * While the broker is away, events wait in a bounded ``MQTTOutbox``; overflow is counted (`dropped` in the
///   daemon's state topic and in the log line at shutdown).
public final class MQTTBridge: Sendable {
    /// Counters for status, logs and tests.
    public struct Counters: Sendable, Equatable {
        /// Event messages queued now.
        public var queued: Int
        /// Event messages dropped because the queue was full (since start), and of those the QoS 1 ones.
        public var dropped: Int, droppedQoS1: Int
        /// Messages the broker took, since start.
        public var sent: Int
        /// Accepted connections since start, and whether connected now.
        public var connections: Int, connected: Bool
        /// Events published per type, since start (what a subscriber should have received).
        public var published: [String: Int]

        /// Creates counters (the bridge makes them; tests of their consumers too).
        public init(queued: Int, dropped: Int, droppedQoS1: Int, sent: Int, connections: Int, connected: Bool,
                    published: [String: Int]) {
            self.queued = queued
            self.dropped = dropped
            self.droppedQoS1 = droppedQoS1
            self.sent = sent
            self.connections = connections
            self.connected = connected
            self.published = published
        }
    }

    private struct Core {
        var outbox: MQTTOutbox
        var states = MQTTStreamStates()
        var encoder = NDJSONEncoder()
        var published: [String: Int] = [:]
    }

    /// The settings.
    public let settings: MQTTSettings
    /// The topic names.
    public let topics: MQTTTopics
    private let discovery: HomeAssistantDiscovery?
    private let core: NIOLockedValueBox<Core>
    private let client: MosquittoClient

    /// Creates the bridge (nothing connects before ``start()``). Throws when libmosquitto refuses the TLS files or
    /// credentials; `settings.url` must be set.
    public init(settings: MQTTSettings, version: String,
                log: @escaping @Sendable (_ warning: Bool, _ line: String) -> Void) throws(MosquittoClient.SetupError) {
        guard let url = settings.url else { throw MosquittoClient.SetupError(description: "mqtt: no broker URL") }
        self.settings = settings
        let topics = MQTTTopics(prefix: settings.topicPrefix, discoveryPrefix: settings.discoveryPrefix,
                                clientID: settings.effectiveClientID)
        self.topics = topics
        discovery = settings.discovery ? HomeAssistantDiscovery(topics: topics, version: version) : nil
        var outbox = MQTTOutbox(capacity: settings.queueMessages)
        outbox.setRetained(MQTTMessage(topic: topics.daemonAvailabilityTopic, text: "online", qos: 1, retain: true))
        let core = NIOLockedValueBox(Core(outbox: outbox))
        self.core = core
        var options = MosquittoClient.Options(url: url, clientID: topics.clientID)
        options.keepAliveSeconds = settings.keepAliveSeconds
        options.credentials = settings.credentials
        options.caFile = settings.caFile
        options.certFile = settings.certFile
        options.keyFile = settings.keyFile
        options.reconnectMaxSeconds = Double(settings.reconnectMaxSeconds)
        options.will = MQTTMessage(topic: topics.daemonAvailabilityTopic, text: "offline", qos: 1, retain: true)
        client = try MosquittoClient(options: options, feed: MosquittoClient.Feed(
            connected: { core.withLockedValue { $0.outbox.connected() } },
            next: { core.withLockedValue { $0.outbox.next() } },
            putBack: { message in core.withLockedValue { $0.outbox.putBack(message) } },
            log: log))
    }

    /// Starts connecting (in the background, with retries).
    public func start() { client.start() }

    /// Sends `offline` and what is queued (for at most `drainSeconds` while connected), then disconnects.
    public func stop(drainSeconds: Double) {
        core.withLockedValue { core in
            core.outbox.setRetained(MQTTMessage(topic: topics.daemonAvailabilityTopic, text: "offline", qos: 1, retain: true))
            Self.updateDaemonState(&core, topics: topics, client: client.counters)
        }
        client.stop(drainSeconds: drainSeconds)
    }

    /// The counters now.
    public var counters: Counters {
        let connection = client.counters
        return core.withLockedValue { core in
            Counters(queued: core.outbox.queuedEvents, dropped: core.outbox.dropped, droppedQoS1: core.outbox.droppedQoS1,
                     sent: connection.sent, connections: connection.connections, connected: connection.connected,
                     published: core.published)
        }
    }

    /// The QoS an event type is published with: 1 for falls and activities, 0 for the rest.
    public static func qos(for type: EventType) -> Int32 {
        switch type {
        case .fallDetected, .activityStarted, .activityEnded: return 1
        default: return 0
        }
    }

    /// Takes one event from the daemon (never blocks on the network).
    public func handle(_ event: Event) {
        let clientCounters = event.type == .daemonHeartbeat ? client.counters : nil
        core.withLockedValue { core in
            let (changed, new) = core.states.apply(event)
            for key in new { publishDiscovery(&core, stream: key) }
            for (stream, device) in core.states.expire(keepingDown: Self.downStreamsKept) { forget(&core, stream: stream, device: device) }
            switch event.type {
            case .prediction, .subscriberGap, .state:
                break
            default:
                var line = core.encoder.encode(event)
                if line.last == UInt8(ascii: "\n") { line.removeLast() }
                core.outbox.enqueue(MQTTMessage(topic: topics.eventTopic(stream: event.stream), payload: line,
                                                qos: Self.qos(for: event.type), retain: false))
                core.published[event.type.rawValue, default: 0] += 1
            }
            if case .fallDetected = event.payload, let stream = event.stream {
                core.outbox.enqueue(MQTTMessage(topic: topics.fallTopic(stream), text: "ON", qos: 1, retain: false))
            }
            for key in changed { publishState(&core, stream: key) }
            if let clientCounters { Self.updateDaemonState(&core, topics: topics, client: clientCounters) }
        }
    }

    /// Takes the streams' rates, models and calibrations (from the daemon's status).
    public func update(diagnostics: [String: MQTTStreamDiagnostics]) {
        core.withLockedValue { core in
            for key in core.states.apply(diagnostics: diagnostics) { publishState(&core, stream: key) }
        }
    }

    /// Streams that are down whose topics stay (the most recently down); older ones are cleared.
    public static let downStreamsKept = 64

    /// Clears a forgotten stream's retained topics: discovery configs, availability, state.
    private func forget(_ core: inout Core, stream: String, device: String) {
        var topicsToClear = [topics.availabilityTopic(stream), topics.stateTopic(stream)]
        if let discovery { topicsToClear += discovery.messages(stream: stream, device: device).map(\.topic) }
        for topic in topicsToClear { core.outbox.forgetRetained(topic) }
    }

    private func publishDiscovery(_ core: inout Core, stream: String) {
        guard let discovery, let entry = core.states.entries[stream] else { return }
        for message in discovery.messages(stream: stream, device: entry.state.device) { core.outbox.setRetained(message) }
    }

    private func publishState(_ core: inout Core, stream: String) {
        guard let entry = core.states.entries[stream], let payload = core.states.payload(stream) else { return }
        core.outbox.setRetained(MQTTMessage(topic: topics.availabilityTopic(stream), text: entry.up ? "online" : "offline",
                                            qos: 1, retain: true))
        core.outbox.setRetained(MQTTMessage(topic: topics.stateTopic(stream), payload: payload, qos: 1, retain: true))
    }

    /// The daemon's retained counters: `{"client_id","queued","dropped","dropped_qos1","sent","connections"}`.
    private static func updateDaemonState(_ core: inout Core, topics: MQTTTopics, client: MosquittoClient.Counters) {
        let object: [String: Any] = [
            "client_id": topics.clientID, "queued": core.outbox.queuedEvents, "dropped": core.outbox.dropped,
            "dropped_qos1": core.outbox.droppedQoS1, "sent": client.sent, "connections": client.connections,
        ]
        core.outbox.setRetained(MQTTMessage(topic: topics.daemonStateTopic, payload: MQTTMessage.json(object), qos: 1, retain: true))
    }
}
