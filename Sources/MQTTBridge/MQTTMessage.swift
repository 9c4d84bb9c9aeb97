import CSIEvents
import Foundation

/// One message to publish.
public struct MQTTMessage: Sendable, Hashable {
    /// The topic (no wildcards).
    public var topic: String
    /// The payload bytes (UTF-8 JSON or a word such as `online`).
    public var payload: [UInt8]
    /// QoS 0 (at most once) or 1 (at least once).
    public var qos: Int32
    /// Whether the broker keeps it as the topic's last value.
    public var retain: Bool

    /// Creates a message.
    public init(topic: String, payload: [UInt8], qos: Int32, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }

    /// A message with a text payload.
    public init(topic: String, text: String, qos: Int32, retain: Bool) {
        self.init(topic: topic, payload: Array(text.utf8), qos: qos, retain: retain)
    }

    /// The payload as text (tests, logs).
    public var text: String { String(decoding: payload, as: UTF8.self) }

    /// The JSON text of `object` (JSONSerialization types) in the one generic encoding (``JSONLine``), as
    /// csihard's `status` reply and the CLI's `--json` output.
    public static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONLine.data(object)) ?? Data("{}".utf8))
    }
}
