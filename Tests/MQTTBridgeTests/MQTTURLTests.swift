import Foundation
import MQTTBridge
import Testing

/// `mqtt://` / `mqtts://` parsing, credentials files and settings checks.
@Suite struct MQTTURLTests {
    @Test func parsesHostsPortsAndSchemes() throws {
        #expect(try MQTTURL(parsing: "mqtt://broker.lan") == MQTTURL(tls: false, host: "broker.lan", port: 1883))
        #expect(try MQTTURL(parsing: "mqtts://broker.lan") == MQTTURL(tls: true, host: "broker.lan", port: 8883))
        #expect(try MQTTURL(parsing: "mqtt://127.0.0.1:18830/") == MQTTURL(tls: false, host: "127.0.0.1", port: 18830))
        #expect(try MQTTURL(parsing: "mqtts://[::1]:8884") == MQTTURL(tls: true, host: "::1", port: 8884))
        #expect(try MQTTURL(parsing: "mqtts://[::1]:8884").description == "mqtts://[::1]:8884")
        #expect(try MQTTURL(parsing: "mqtt://h").description == "mqtt://h:1883")
    }

    @Test func refusesCredentialsPathsAndBadPorts() {
        let cases: [(String, String)] = [
            ("mqtt://user:secret@host", "mqtt.credentials_file"),
            ("mqtt://user@host:1883", "user name or password"),
            ("http://host", "must start with mqtt:// or mqtts://"),
            ("mqtt://", "has no host"),
            ("mqtt://host:0", "within 1...65535"),
            ("mqtt://host:99999", "within 1...65535"),
            ("mqtt://host:abc", "within 1...65535"),
            ("mqtt://host/topic", "must not have a path"),
            ("mqtt://host?x=1", "query"),
            ("mqtt://::1", "IPv6 addresses go in brackets"),
            ("mqtt://[::1", "unclosed"),
            ("mqtt://ho st", "not a host name"),
        ]
        for (text, reason) in cases {
            do {
                _ = try MQTTURL(parsing: text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.contains(reason), "\(text): \(error.description)")
                #expect(!error.description.contains("secret"), "the password is not echoed: \(error.description)")
            }
        }
    }

    @Test func credentialsFileIsOneUserPasswordLine() throws {
        #expect(try MQTTCredentials(parsing: "csihar:pa:ss word\n") == MQTTCredentials(username: "csihar", password: "pa:ss word"))
        #expect(try MQTTCredentials(parsing: "u:") == MQTTCredentials(username: "u", password: ""))
        #expect(throws: MQTTURL.ParseError.self) { try MQTTCredentials(parsing: "nocolon\n") }
        #expect(throws: MQTTURL.ParseError.self) { try MQTTCredentials(parsing: ":password") }
        #expect(throws: MQTTURL.ParseError.self) { try MQTTCredentials(parsing: "a:b\nc:d\n") }
        do {
            _ = try MQTTCredentials.load(path: "/nonexistent/mqtt.credentials")
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.description == "/nonexistent/mqtt.credentials: no such file")
        }
    }

    @Test func topicPrefixAndClientIDChecks() {
        #expect(MQTTSettings.checkTopicPrefix("csihar") == nil)
        #expect(MQTTSettings.checkTopicPrefix("home/csihar/kitchen") == nil)
        for bad in ["", "a/+", "a/#", "/a", "a/", "a//b", "$SYS"] {
            #expect(MQTTSettings.checkTopicPrefix(bad) != nil, "\(bad)")
        }
        #expect(MQTTSettings.checkClientID("csihard-kitchen") == nil)
        #expect(MQTTSettings.checkClientID("has space") != nil)
        #expect(MQTTSettings.checkClientID(String(repeating: "x", count: 129)) != nil)
        #expect(MQTTSettings().effectiveClientID.hasPrefix("csihard-"))
    }
}
