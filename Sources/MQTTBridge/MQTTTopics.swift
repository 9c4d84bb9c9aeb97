/// Topic names of one daemon (docs/mqtt.md, "Topics"):
///
/// | topic | what | retained | QoS |
/// |---|---|---|---|
/// | `<prefix>/<stream>/event` | the stream's events, the same JSON as on the socket (no trailing newline) | no | 1 for `fall.detected`, `activity.*`; 0 else |
/// | `<prefix>/<stream>/state` | the stream's state (activity, confidence, last fall, calibration, rate, latency) | yes | 1 |
/// | `<prefix>/<stream>/availability` | `online` while the stream is up, `offline` after `stream.down` | yes | 1 |
/// | `<prefix>/<stream>/fall` | `ON` at each `fall.detected` (Home Assistant's fall binary sensor) | no | 1 |
/// | `<prefix>/daemon/<client_id>/availability` | `online`; `offline` on shutdown and as the last will | yes | 1 |
/// | `<prefix>/daemon/<client_id>/event` | daemon-wide events (heartbeats, errors without a stream) | no | 0 |
/// | `<prefix>/daemon/<client_id>/state` | the bridge's counters (queued, dropped, sent, connections) | yes | 1 |
///
/// A stream key becomes ONE topic level (``level(_:)``): `/`, `+`, `#`, `%`, control characters and a leading `$`
/// are percent-encoded (`replay:samples/a.dat|unknown` -> `replay:samples%2Fa.dat|unknown`), which is reversible
/// and keeps distinct streams distinct. Home Assistant object and node ids allow only `[a-zA-Z0-9_-]`
/// (``objectID(_:)``): the key is lower-cased, every other run of characters becomes `_`, and 8 hex digits of
/// its FNV-1a hash are appended so that keys differing only in punctuation stay distinct.
public struct MQTTTopics: Sendable, Equatable {
    /// `mqtt.topic_prefix`.
    public let prefix: String
    /// `mqtt.discovery_prefix`.
    public let discoveryPrefix: String
    /// The MQTT client id.
    public let clientID: String

    /// Creates the names for one daemon.
    public init(prefix: String, discoveryPrefix: String, clientID: String) {
        self.prefix = prefix
        self.discoveryPrefix = discoveryPrefix
        self.clientID = clientID
    }

    /// `stream` as one topic level (percent-encoded where MQTT would read it as a separator or wildcard;
    /// other characters, non-ASCII included, are kept: topics are UTF-8).
    public static func level(_ stream: String) -> String {
        guard !stream.isEmpty else { return "%00" }
        var result = ""
        let hex = Array("0123456789ABCDEF")
        for (index, scalar) in stream.unicodeScalars.enumerated() {
            let value = scalar.value
            let special = scalar == "/" || scalar == "+" || scalar == "#" || scalar == "%" || value < 0x20 || value == 0x7F
                || (index == 0 && scalar == "$")
            if special {
                result.append("%")
                result.append(hex[Int(value >> 4)])
                result.append(hex[Int(value & 0xF)])
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A Home Assistant id (`[a-z0-9_]`, with an 8-digit hash of the original so that it stays unique).
    public static func objectID(_ text: String) -> String {
        var result = ""
        var lastWasSeparator = true
        for scalar in text.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                result.unicodeScalars.append(scalar)
                lastWasSeparator = false
            } else if !lastWasSeparator {
                result.append("_")
                lastWasSeparator = true
            }
        }
        if !lastWasSeparator || result.isEmpty { result.append("_") }
        return result + hash(text)
    }

    /// 32-bit FNV-1a of the UTF-8 bytes, 8 lower-case hex digits.
    static func hash(_ text: String) -> String {
        var value: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            value ^= UInt32(byte)
            value = value &* 16_777_619
        }
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// `<prefix>/<stream>/event`, or `<prefix>/daemon/<client_id>/event` for daemon-wide events (`stream` nil).
    public func eventTopic(stream: String?) -> String {
        guard let stream else { return daemonTopic("event") }
        return streamTopic(stream, "event")
    }

    /// `<prefix>/<stream>/state` (retained).
    public func stateTopic(_ stream: String) -> String { streamTopic(stream, "state") }

    /// `<prefix>/<stream>/availability` (retained `online`/`offline`).
    public func availabilityTopic(_ stream: String) -> String { streamTopic(stream, "availability") }

    /// `<prefix>/<stream>/fall` (`ON` at each fall).
    public func fallTopic(_ stream: String) -> String { streamTopic(stream, "fall") }

    /// `<prefix>/daemon/<client_id>/availability` (retained; the last will says `offline`).
    public var daemonAvailabilityTopic: String { daemonTopic("availability") }

    /// `<prefix>/daemon/<client_id>/state` (retained bridge counters).
    public var daemonStateTopic: String { daemonTopic("state") }

    /// The Home Assistant node id of this daemon (from the client id).
    public var nodeID: String { Self.objectID(clientID) }

    /// `<discovery_prefix>/<component>/<node_id>/<stream object id>_<entity>/config`.
    public func discoveryTopic(component: String, stream: String, entity: String) -> String {
        "\(discoveryPrefix)/\(component)/\(nodeID)/\(Self.objectID(stream))_\(entity)/config"
    }

    private func streamTopic(_ stream: String, _ leaf: String) -> String { "\(prefix)/\(Self.level(stream))/\(leaf)" }

    private func daemonTopic(_ leaf: String) -> String { "\(prefix)/daemon/\(Self.level(clientID))/\(leaf)" }
}
