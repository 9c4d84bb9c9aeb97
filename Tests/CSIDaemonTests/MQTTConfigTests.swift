import Foundation
import MQTTBridge
import Testing
@testable import CSIDaemon

/// `[mqtt]` in csihard.toml: every key applied, every bad value naming file, line and key; files checked at load.
@Suite struct MQTTConfigTests {
    @Test func mqttTableIsApplied() throws {
        let credentials = temporarySocketPath("mqtt-credentials") + ".txt"
        try "csihar:s3cret:x\n".write(toFile: credentials, atomically: true, encoding: .utf8)
        defer { unlink(credentials) }
        let settings = try DaemonConfigFile.parse("""
            [mqtt]
            url = "mqtts://broker.lan:8884"
            topic_prefix = "home/csihar"
            discovery_prefix = "ha"
            discovery = false
            client_id = "csihard-kitchen"
            keepalive_seconds = 15
            credentials_file = "\(credentials)"
            ca_file = "\(credentials)"
            queue_messages = 500
            reconnect_max_seconds = 5
            """, path: "x.toml")
        #expect(settings.mqtt.url == MQTTURL(tls: true, host: "broker.lan", port: 8884))
        #expect(settings.mqtt.topicPrefix == "home/csihar" && settings.mqtt.discoveryPrefix == "ha" && !settings.mqtt.discovery)
        #expect(settings.mqtt.clientID == "csihard-kitchen" && settings.mqtt.keepAliveSeconds == 15)
        #expect(settings.mqtt.credentials == MQTTCredentials(username: "csihar", password: "s3cret:x"))
        #expect(settings.mqtt.caFile == credentials && settings.mqtt.queueMessages == 500 && settings.mqtt.reconnectMaxSeconds == 5)
        #expect(try DaemonConfigFile.parse("", path: "e.toml").mqtt.url == nil, "no [mqtt]: no bridge")
    }

    @Test(arguments: [
        ("[mqtt]\nurl = \"mqtt://u:p@host\"\n", "bad.toml:2: mqtt.url: 'mqtt://***@host': must not contain a user name or password"),
        ("[mqtt]\nurl = \"tcp://host\"\n", "bad.toml:2: mqtt.url: 'tcp://host': must start with mqtt:// or mqtts://"),
        ("[mqtt]\ntopic_prefix = \"a/#\"\n", "bad.toml:2: mqtt.topic_prefix: must not contain the MQTT wildcards"),
        ("[mqtt]\ndiscovery_prefix = \"\"\n", "bad.toml:2: mqtt.discovery_prefix: must not be empty"),
        ("[mqtt]\nclient_id = \"a b\"\n", "bad.toml:2: mqtt.client_id: must be 1-128 printable ASCII"),
        ("[mqtt]\nkeepalive_seconds = 1\n", "bad.toml:2: mqtt.keepalive_seconds: must be within 5...65535"),
        ("[mqtt]\ncredentials_file = \"/nonexistent/mqtt.txt\"\n",
         "bad.toml:2: mqtt.credentials_file: /nonexistent/mqtt.txt: no such file"),
        ("[mqtt]\nca_file = \"/nonexistent/ca.pem\"\n", "bad.toml:2: mqtt.ca_file: /nonexistent/ca.pem: no such file"),
        ("[mqtt]\ncert_file = \"/etc/hostname\"\n", "bad.toml:2: mqtt.cert_file: a TLS client certificate needs both"),
        ("[mqtt]\nqueue_messages = 1\n", "bad.toml:2: mqtt.queue_messages: must be within 16...1000000"),
        ("[mqtt]\nport = 1883\n", "bad.toml:2: mqtt.port: unknown key"),
    ])
    func badMQTTValuesNameFileLineAndKey(text: String, message: String) {
        expectConfigRejected(text, message)
    }

    @Test func aCredentialsFileWithoutAColonIsRefusedWithoutEchoingIt() throws {
        let path = temporarySocketPath("mqtt-bad-credentials") + ".txt"
        try "justapassword\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        do {
            _ = try DaemonConfigFile.parse("[mqtt]\ncredentials_file = \"\(path)\"\n", path: "bad.toml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("bad.toml:2: mqtt.credentials_file: \(path): must hold one line USERNAME:PASSWORD"))
            #expect(!error.description.contains("justapassword"))
        }
    }

    @Test func statusStreamsBecomeDiagnostics() {
        func stream(_ key: String, rate: Double, model: String?, calibration: StreamSnapshot.Calibration?) -> StreamSnapshot {
            StreamSnapshot(key: key, source: "pcap:wlan0", device: "nexmon", frames: 10, windows: 1, lostFrames: 0,
                           framesPerSecond: rate, windowsPerSecond: 5, activity: nil, silentSeconds: 0,
                           calibration: calibration, model: model, route: nil)
        }
        let diagnostics = MQTTService.diagnostics([
            stream("a|b", rate: 998.5, model: "m (gru, x)",
                   calibration: .init(head: true, baseline: false, created: "2026-01-01T00:00:00Z")),
            stream("c|d", rate: 0, model: nil, calibration: nil),
        ])
        #expect(diagnostics["a|b"] == MQTTStreamDiagnostics(rateHz: 998.5, model: "m (gru, x)",
                                                            calibration: .init(head: true, baseline: false, created: "2026-01-01T00:00:00Z")))
        #expect(diagnostics["c|d"] == MQTTStreamDiagnostics(rateHz: 0))
        #expect(diagnostics.count == 2 && MQTTService.diagnostics([]).isEmpty)
    }
}
