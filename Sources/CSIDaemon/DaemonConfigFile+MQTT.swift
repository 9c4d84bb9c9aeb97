import MQTTBridge

/// The `[mqtt]` table of `csihard.toml` (``MQTTSettings``; docs/mqtt.md). Files named here (credentials, TLS)
/// are read or checked when the configuration is loaded: a missing one stops startup with
/// `file:line: mqtt.credentials_file: PATH: no such file`.
extension DaemonConfigFile {
    /// `mqtt.<key>` appliers.
    static let mqttKeys: [String: Apply] = [
        "mqtt.url": { settings, value throws(Rejected) in
            let text = try string(value)
            do { settings.mqtt.url = try MQTTURL(parsing: text) } catch { throw Rejected(reason: "\(error)") }
        },
        "mqtt.topic_prefix": { settings, value throws(Rejected) in
            settings.mqtt.topicPrefix = try topicPrefix(value)
        },
        "mqtt.discovery_prefix": { settings, value throws(Rejected) in
            settings.mqtt.discoveryPrefix = try topicPrefix(value)
        },
        "mqtt.discovery": { settings, value throws(Rejected) in settings.mqtt.discovery = try boolean(value) },
        "mqtt.client_id": { settings, value throws(Rejected) in
            let id = try string(value)
            if id.isEmpty { settings.mqtt.clientID = nil; return }
            if let problem = MQTTSettings.checkClientID(id) { throw Rejected(reason: problem) }
            settings.mqtt.clientID = id
        },
        "mqtt.keepalive_seconds": { settings, value throws(Rejected) in
            settings.mqtt.keepAliveSeconds = try integer(value, in: 5...65535)
        },
        "mqtt.credentials_file": { settings, value throws(Rejected) in
            let path = try string(value)
            if path.isEmpty { settings.mqtt.credentialsFile = nil; settings.mqtt.credentials = nil; return }
            do { settings.mqtt.credentials = try MQTTCredentials.load(path: path) } catch { throw Rejected(reason: "\(error)") }
            settings.mqtt.credentialsFile = path
        },
        "mqtt.ca_file": { settings, value throws(Rejected) in settings.mqtt.caFile = try readableFile(value) },
        "mqtt.cert_file": { settings, value throws(Rejected) in settings.mqtt.certFile = try readableFile(value) },
        "mqtt.key_file": { settings, value throws(Rejected) in settings.mqtt.keyFile = try readableFile(value) },
        "mqtt.queue_messages": { settings, value throws(Rejected) in
            settings.mqtt.queueMessages = try integer(value, in: 16...1_000_000)
        },
        "mqtt.reconnect_max_seconds": { settings, value throws(Rejected) in
            settings.mqtt.reconnectMaxSeconds = try integer(value, in: 1...3600)
        },
    ]

    /// Cross-key checks: a client certificate needs its key and the other way round.
    static func checkMQTT(entries: [TOMLEntry], path: String, settings: DaemonSettings) throws(ConfigError) {
        let mqtt = settings.mqtt
        if (mqtt.certFile == nil) != (mqtt.keyFile == nil) {
            let given = mqtt.certFile == nil ? "mqtt.key_file" : "mqtt.cert_file"
            let line = entries.last { $0.key == given }?.line ?? 0
            throw ConfigError(path: path, line: line, key: given,
                              reason: "a TLS client certificate needs both mqtt.cert_file and mqtt.key_file")
        }
    }

    private static func topicPrefix(_ value: TOMLValue) throws(Rejected) -> String {
        let prefix = try string(value)
        if let problem = MQTTSettings.checkTopicPrefix(prefix) { throw Rejected(reason: problem) }
        return prefix
    }

    /// A readable file path ("" for none).
    private static func readableFile(_ value: TOMLValue) throws(Rejected) -> String? {
        let path = try string(value)
        if path.isEmpty { return nil }
        if let problem = MQTTSettings.checkReadableFile(path) { throw Rejected(reason: problem) }
        return path
    }
}
