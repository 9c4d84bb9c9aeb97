import Foundation

/// The bridge's settings (`[mqtt]` in csihard.toml, `--mqtt URL` on the command line, which overrides
/// `mqtt.url`). The bridge runs when ``url`` is set. Files (credentials, TLS) are read and checked when the
/// configuration is loaded, so a missing one stops startup naming the key and the path.
public struct MQTTSettings: Sendable, Equatable {
    /// The broker (`mqtt.url`, `--mqtt`); `nil`: no bridge.
    public var url: MQTTURL?
    /// First topic level(s) of the event and state topics (`mqtt.topic_prefix`): `<prefix>/<stream>/event`.
    public var topicPrefix = "csihar"
    /// Home Assistant's discovery prefix (`mqtt.discovery_prefix`); discovery is off when ``discovery`` is false.
    public var discoveryPrefix = "homeassistant"
    /// Publish Home Assistant discovery configs (`mqtt.discovery`).
    public var discovery = true
    /// MQTT client id (`mqtt.client_id`); `nil`: `csihard-<hostname>`. Unique per daemon on one broker: it also
    /// names the daemon's availability topic and its Home Assistant entities.
    public var clientID: String?
    /// Keep-alive interval in seconds (`mqtt.keepalive_seconds`).
    public var keepAliveSeconds = 30
    /// The file the credentials were read from (`mqtt.credentials_file`), for messages.
    public var credentialsFile: String?
    /// User name and password read from ``credentialsFile``.
    public var credentials: MQTTCredentials?
    /// CA certificates (PEM) to verify the broker with (`mqtt.ca_file`); `nil` with `mqtts://`: the system's.
    public var caFile: String?
    /// Client certificate (PEM) for TLS client authentication (`mqtt.cert_file`, with ``keyFile``).
    public var certFile: String?
    /// Client private key (PEM) (`mqtt.key_file`).
    public var keyFile: String?
    /// Event messages kept while the broker is away (`mqtt.queue_messages`); beyond, the oldest QoS 0 message is
    /// dropped first, else the oldest QoS 1 one, and counted (``MQTTOutbox``).
    public var queueMessages = 10_000
    /// Longest wait between reconnection attempts, seconds (backoff doubles from 1 s).
    public var reconnectMaxSeconds = 30

    /// The defaults (no broker).
    public init() {}

    /// The client id in use: ``clientID``, else `csihard-<hostname>`.
    public var effectiveClientID: String {
        if let clientID { return clientID }
        return "csihard-" + (ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host")
    }

    /// A topic prefix is one or more non-empty levels without wildcards (`csihar`, `home/csihar`).
    public static func checkTopicPrefix(_ prefix: String) -> String? {
        if prefix.isEmpty { return "must not be empty" }
        if prefix.contains("+") || prefix.contains("#") { return "must not contain the MQTT wildcards + or #" }
        if prefix.hasPrefix("/") || prefix.hasSuffix("/") || prefix.contains("//") {
            return "must not start or end with / or have an empty level"
        }
        if prefix.hasPrefix("$") { return "must not start with $ (reserved for the broker)" }
        if prefix.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "must not contain control characters"
        }
        return nil
    }

    /// A client id: 1-128 printable ASCII characters without spaces.
    public static func checkClientID(_ id: String) -> String? {
        guard !id.isEmpty, id.utf8.count <= 128, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return "must be 1-128 printable ASCII characters without spaces"
        }
        return nil
    }

    /// Checks that `path` is a readable file (the TLS files); returns why not.
    public static func checkReadableFile(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "\(path): no such file" }
        if isDirectory.boolValue { return "\(path): is a directory" }
        guard FileManager.default.isReadableFile(atPath: path) else { return "\(path): not readable" }
        return nil
    }
}
