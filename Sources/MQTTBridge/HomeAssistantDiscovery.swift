/// Home Assistant MQTT discovery configs for one stream, so that it appears in Home Assistant with no YAML
/// (retained, at `<discovery_prefix>/<component>/<node_id>/<object_id>_<entity>/config`).
///
/// Each stream is one Home Assistant device (identifiers `csihar_<node_id>_<object_id>`: daemon client id plus
/// stream, so the same stream key on two daemons gives two devices) with five entities:
///
/// | entity | component | from | notes |
/// |---|---|---|---|
/// | `activity` | `sensor` | state `activity`, `idle` when null | attributes: the whole state JSON |
/// | `fall` | `binary_sensor` | `ON` on `<prefix>/<stream>/fall` at each `fall.detected` | `device_class: safety`, `off_delay` (60 s) turns it off |
/// | `last_fall` | `sensor` | state `last_fall_at` | `device_class: timestamp` |
/// | `rate` | `sensor` | state `rate_hz` | `entity_category: diagnostic`, Hz |
/// | `latency` | `sensor` | state `latency_p99_ms` | `entity_category: diagnostic`, ms (the daemon's p99 frame-to-event latency) |
///
/// Every entity is available only while the daemon is online (its last will says `offline`) AND the stream is up
/// (`availability_mode: all`).
public struct HomeAssistantDiscovery: Sendable {
    /// The daemon's topic names.
    public let topics: MQTTTopics
    /// csihar's version (the device's `sw_version`).
    public let version: String
    /// Seconds the fall binary sensor stays on after a fall (`off_delay`).
    public let fallOffDelay: Int

    /// Creates the builder.
    public init(topics: MQTTTopics, version: String, fallOffDelay: Int = 60) {
        self.topics = topics
        self.version = version
        self.fallOffDelay = fallOffDelay
    }

    /// The retained config messages of `stream` (`device`: its kind, such as `intel5300`).
    public func messages(stream: String, device: String) -> [MQTTMessage] {
        entities(stream: stream, device: device).map { component, entity, config in
            MQTTMessage(topic: topics.discoveryTopic(component: component, stream: stream, entity: entity),
                        payload: MQTTMessage.json(config), qos: 1, retain: true)
        }
    }

    /// `(component, entity, config)` for each entity of `stream`.
    public func entities(stream: String, device: String) -> [(String, String, [String: Any])] {
        let object = MQTTTopics.objectID(stream)
        let base = "csihar_\(topics.nodeID)_\(object)"
        let state = topics.stateTopic(stream)
        let deviceInfo: [String: Any] = [
            "identifiers": [base],
            "name": "csihar \(stream) (\(topics.clientID))",
            "manufacturer": "csihar",
            "model": "csihard \(device) stream",
            "sw_version": version,
        ]
        let availability: [[String: Any]] = [
            ["topic": topics.daemonAvailabilityTopic],
            ["topic": topics.availabilityTopic(stream)],
        ]
        func entity(_ name: String, _ key: String, _ extra: [String: Any]) -> [String: Any] {
            var config: [String: Any] = [
                "name": name,
                "unique_id": "\(base)_\(key)",
                "object_id": "\(object)_\(key)",
                "device": deviceInfo,
                "availability": availability,
                "availability_mode": "all",
                "json_attributes_topic": state,
                "state_topic": state,
                "qos": 1,
            ]
            config.merge(extra) { $1 }
            return config
        }
        return [
            ("sensor", "activity", entity("Activity", "activity", [
                "value_template": "{{ value_json.activity if value_json.activity else 'idle' }}",
                "icon": "mdi:human",
            ])),
            ("binary_sensor", "fall", entity("Fall", "fall", [
                "state_topic": topics.fallTopic(stream),
                "payload_on": "ON",
                "payload_off": "OFF",
                "off_delay": fallOffDelay,
                "device_class": "safety",
                "icon": "mdi:human-falling",
            ])),
            ("sensor", "last_fall", entity("Last fall", "last_fall", [
                "value_template": "{{ value_json.last_fall_at }}",
                "device_class": "timestamp",
            ])),
            ("sensor", "rate", entity("CSI rate", "rate", [
                "value_template": "{{ value_json.rate_hz }}",
                "unit_of_measurement": "Hz",
                "state_class": "measurement",
                "entity_category": "diagnostic",
                "icon": "mdi:wifi",
            ])),
            ("sensor", "latency", entity("Event latency p99", "latency", [
                "value_template": "{{ value_json.latency_p99_ms }}",
                "unit_of_measurement": "ms",
                "device_class": "duration",
                "state_class": "measurement",
                "entity_category": "diagnostic",
            ])),
        ]
    }
}
