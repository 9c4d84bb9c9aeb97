import Foundation
import Testing

/// The MQTT bridge of the real csihard against a real Mosquitto broker started here (docs/mqtt.md): discovery,
/// retained states and the same event JSON as the socket arrive; the broker killed and restarted mid-replay loses
/// no fall; wrong credentials are one clear log line while the socket keeps serving; two daemons share a broker
/// without clobbering each other. Each test starts its own broker on a free loopback port.
@Suite(.serialized) struct MQTTBrokerTests {
    static let sample = "replay:samples/living-room-intel5300.dat"
    /// Event types published with QoS 1 (must never be lost).
    static let qos1Types: Set<String> = ["fall.detected", "activity.started", "activity.ended"]

    private func config(_ text: String, name: String) throws -> String {
        try DaemonProbe.temporaryFile("[mqtt]\nreconnect_max_seconds = 1\n" + text, name: name)
    }

    private func credentials(_ line: String) throws -> String {
        try DaemonProbe.temporaryFile(line + "\n", name: "mqtt-credentials", suffix: ".txt")
    }

    /// The `seq` of a parsed event.
    private func seq(_ event: [String: Any]) -> Int { event["seq"] as? Int ?? -1 }

    /// The events among MQTT messages, by `seq`: (topic, JSON text).
    private func mqttEvents(_ messages: [(topic: String, payload: String)]) -> [Int: (topic: String, payload: String)] {
        var result: [Int: (topic: String, payload: String)] = [:]
        for message in messages where message.topic.hasSuffix("/event") {
            result[seq(object(message.payload))] = message
        }
        return result
    }

    @Test func discoveryStatesAndEventsArriveOnARealBroker() async throws {
        guard DaemonProcess.available("discoveryStatesAndEventsArriveOnARealBroker"),
              MosquittoBroker.available("discoveryStatesAndEventsArriveOnARealBroker") else { return }
        let started = Date()
        let broker = try MosquittoBroker()
        let recorder = try MQTTRecorder(port: broker.port, topics: ["csihar/#", "homeassistant/#"])
        #expect(recorder.waitUntilSubscribed(), "\(broker.log)")
        let config = try config("client_id = \"csihard-test-a\"\n", name: "mqtt-a")
        let socket = temporarySocketPath("mqtt-a")
        let run = try await offPool { () throws -> (exit: Int32?, log: String, raw: [String]) in
            let daemon = try DaemonProcess(arguments: ["--config", config, "--source", Self.sample, "--speed", "10",
                                                       "--exit-when-done", "--wait-for-subscriber", "--heartbeat-seconds", "1",
                                                       "--socket", socket, "--mqtt", broker.url], workingDirectory: repositoryRoot)
            guard waitForSocket(socket) else { return (nil, daemon.log, []) }
            let client = try TestClient(path: socket)
            let raw = client.readLines(seconds: 60)   // to EOF: the daemon exits when the replay ends
            let exit = daemon.waitForExit(seconds: 10)?.status
            _ = recorder.wait(seconds: 5) { $0.last?.topic == "csihar/daemon/csihard-test-a/state" || $0.last?.payload == "offline" }
            return (exit, daemon.log, raw)
        }
        #expect(run.exit == 0, "\(run.log)")
        let messages = recorder.messages
        // Discovery: five retained configs for the stream, one device, this daemon's node id.
        let discovery = messages.filter { $0.topic.hasPrefix("homeassistant/") }
        #expect(discovery.count == 5, "\(discovery.map(\.topic))")
        #expect(discovery.allSatisfy { $0.topic.contains("/csihard_test_a_") && $0.topic.hasSuffix("/config") })
        #expect(Set(discovery.compactMap { object($0.payload)["unique_id"] as? String }).count == 5)
        #expect(Set(discovery.map { $0.topic.split(separator: "/")[1] }) == ["sensor", "binary_sensor"])
        // Every event the socket sent (but the greeting) arrived as the same JSON on the stream's or daemon's topic.
        let lines = zip(run.raw.map(object), run.raw).filter { ($0.0["type"] as? String) != "state" }
        let events = mqttEvents(messages)
        let level = "replay:samples%2Fliving-room-intel5300.dat|unknown"
        var missing: [String] = []
        for (event, line) in lines {
            guard let received = events[seq(event)] else { missing.append(line); continue }
            #expect(received.payload == line, "same JSON as the socket")
            let expectedTopic = event["stream"] == nil ? "csihar/daemon/csihard-test-a/event" : "csihar/\(level)/event"
            #expect(received.topic == expectedTopic)
        }
        #expect(missing.isEmpty, "events the socket got but MQTT did not: \(missing)")
        let falls = lines.filter { $0.0["type"] as? String == "fall.detected" }
        #expect(falls.count == 1, "the sample's fall")
        #expect(messages.contains { $0.topic == "csihar/\(level)/fall" && $0.payload == "ON" })
        // Retained state: the last one has the fall and the stream down; availability online then offline.
        let states = messages.filter { $0.topic == "csihar/\(level)/state" }.map { object($0.payload) }
        #expect(states.last?["up"] as? Bool == false)
        #expect(states.last?["last_fall"] as? Double == falls.first?.0["fall_time"] as? Double)
        #expect(states.contains { $0["activity"] as? String != nil && $0["confidence"] as? Double != nil })
        #expect(states.contains { ($0["rate_hz"] as? Double ?? 0) > 500 }, "the stream's rate from status (about 1 kHz)")
        let availability = messages.filter { $0.topic == "csihar/daemon/csihard-test-a/availability" }.map(\.payload)
        #expect(availability.first == "online" && availability.last == "offline", "\(availability)")
        #expect(run.log.contains("mqtt: stopped: ") && run.log.contains(" dropped=0 "), "\(run.log)")

        // Retained: a subscriber that comes later still gets discovery, the state and the availability.
        let late = try MQTTRecorder(port: broker.port, topics: ["homeassistant/#", "csihar/+/state", "csihar/daemon/+/availability"])
        let retained = await (try? offPool { late.wait(seconds: 10) { $0.count >= 7 } }) ?? false
        #expect(retained, "\(late.messages.map(\.topic))")
        #expect(late.messages.contains { $0.topic == "csihar/daemon/csihard-test-a/availability" && $0.payload == "offline" })
        print("mqtt discovery/events: \(messages.count) messages, \(lines.count) events, \(discovery.count) configs; "
              + "\(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    @Test func brokerKilledAndRestartedMidReplayLosesNoFall() async throws {
        guard DaemonProcess.available("brokerKilledAndRestartedMidReplayLosesNoFall"),
              MosquittoBroker.available("brokerKilledAndRestartedMidReplayLosesNoFall") else { return }
        let started = Date()
        let broker = try MosquittoBroker()
        // A persistent session (QoS 1, clean session off) on a broker with persistence: what is published while the
        // test's subscriber reconnects after the restart waits for it.
        let recorder = try MQTTRecorder(port: broker.port, topics: ["csihar/+/event", "csihar/+/fall"], persistentID: "csihar-test-sub")
        #expect(recorder.waitUntilSubscribed(), "\(broker.log)")
        let config = try config("client_id = \"csihard-test-restart\"\n", name: "mqtt-restart")
        let socket = temporarySocketPath("mqtt-restart")
        let run = try await offPool { () throws -> (log: String, socket: [String], outageFalls: Int, exit: Int32?, steps: String) in
            Thread.sleep(forTimeInterval: 1.2)   // the broker's autosave (1 s) has stored the subscriber's session
            let daemon = try DaemonProcess(arguments: ["--config", config, "--source", Self.sample, "--speed", "10", "--loop",
                                                       "--socket", socket, "--mqtt", broker.url], workingDirectory: repositoryRoot)
            guard waitForSocket(socket) else { return (daemon.log, [], 0, nil, "no socket") }
            let subscriber = try SocketRecorder(path: socket)
            func falls() -> [Int] { subscriber.events.filter { $0["type"] as? String == "fall.detected" }.map(seq) }
            // 1. A fall arrives through the broker.
            let first = recorder.wait(seconds: 30) { self.mqttEvents($0).values.contains { $0.payload.contains("\"fall.detected\"") } }
            guard first else { return (daemon.log, subscriber.received, 0, nil, "no first fall over MQTT") }
            // The socket subscriber may get that fall after the broker's: count from the falls it has too, or the
            // same fall arriving late would pass for one detected during the outage.
            let overMQTT = Set(mqttEvents(recorder.messages).filter { $0.value.payload.contains("\"fall.detected\"") }.keys)
            let caughtUp = Date().addingTimeInterval(10)
            while !overMQTT.isSubset(of: Set(falls())) && Date() < caughtUp { Thread.sleep(forTimeInterval: 0.02) }
            // 2. The broker dies; the daemon goes on and detects at least one more fall while it is away.
            let before = falls().count
            broker.kill()
            let killed = Date()
            let outage = { falls().count > before }
            while !outage() && Date().timeIntervalSince(killed) < 30 { Thread.sleep(forTimeInterval: 0.05) }
            let outageFalls = falls().count - before
            // 3. The broker comes back on the same port; the daemon reconnects and flushes its queue.
            try broker.start()
            let restarted = Date()
            let seen = falls()
            let delivered = recorder.wait(seconds: 30) { messages in
                let events = self.mqttEvents(messages)
                return seen.allSatisfy { events[$0] != nil }
            }
            let steps = "first fall over MQTT after \(String(format: "%.1f", killed.timeIntervalSince(started))) s, "
                + "broker down \(String(format: "%.1f", restarted.timeIntervalSince(killed))) s (\(outageFalls) fall(s) meanwhile), "
                + "outage falls delivered \(delivered) after \(String(format: "%.1f", Date().timeIntervalSince(restarted))) s"
            let exit = daemon.terminate().status
            _ = subscriber.waitForEnd(seconds: 5)
            // Everything the socket saw (up to shutdown) reaches the persistent subscriber.
            let wanted = subscriber.events.filter { Self.qos1Types.contains($0["type"] as? String ?? "") }.map(seq)
            _ = recorder.wait(seconds: 15) { messages in
                let events = self.mqttEvents(messages)
                return wanted.allSatisfy { events[$0] != nil }
            }
            return (daemon.log, subscriber.received, outageFalls, exit, steps)
        }
        print("mqtt broker restart: \(run.steps); \(String(format: "%.1f", Date().timeIntervalSince(started))) s in all")
        #expect(run.exit == 0, "\(run.log)")
        #expect(run.outageFalls >= 1, "a fall was detected while the broker was down: \(run.steps)")
        let events = mqttEvents(recorder.messages)
        let socketEvents = run.socket.map(object)
        let falls = socketEvents.filter { $0["type"] as? String == "fall.detected" }
        let qos1 = socketEvents.filter { Self.qos1Types.contains($0["type"] as? String ?? "") }
        let lost = qos1.filter { events[seq($0)] == nil }.map { "\($0["type"] ?? "?") seq \(seq($0))" }
        #expect(falls.count >= 2)
        #expect(lost.isEmpty, "QoS 1 events lost: \(lost); \(run.steps)\n\(run.log)")
        let fallSignals = recorder.messages.filter { $0.topic.hasSuffix("/fall") && $0.payload == "ON" }.count
        #expect(fallSignals >= falls.count, "every fall also switched the binary sensor on")
        #expect(run.log.contains("connection lost"), "\(run.log)")
        #expect(run.log.components(separatedBy: "connected as csihard-test-restart").count - 1 >= 2, "reconnected: \(run.log)")
        #expect(run.log.contains(" dropped_qos1=0 "), "\(run.log)")
    }

    @Test func wrongCredentialsAreOneClearErrorAndTheSocketKeepsServing() async throws {
        guard DaemonProcess.available("wrongCredentialsAreOneClearErrorAndTheSocketKeepsServing"),
              MosquittoBroker.available("wrongCredentialsAreOneClearErrorAndTheSocketKeepsServing") else { return }
        let broker = try MosquittoBroker(users: [("csihar", "right-password")])
        let config = try config("client_id = \"csihard-test-wrong\"\ncredentials_file = \"\(try credentials("csihar:wrong-password"))\"\n",
                                name: "mqtt-wrong")
        let socket = temporarySocketPath("mqtt-wrong")
        let run = try await offPool { () throws -> (log: String, refused: Bool, frames: (Int, Int), running: Bool, exit: Int32?) in
            let daemon = try DaemonProcess(arguments: ["--config", config, "--source", Self.sample, "--speed", "5", "--loop",
                                                       "--socket", socket, "--mqtt", broker.url], workingDirectory: repositoryRoot)
            guard waitForSocket(socket) else { return (daemon.log, false, (-1, -1), false, nil) }
            let end = Date().addingTimeInterval(15)
            while !daemon.log.contains("connection refused") && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
            Thread.sleep(forTimeInterval: 2.5)   // a few retries (backoff 1 s): logged once, the socket still serves
            let first = DaemonProbe.frames(socket: socket)
            let later = DaemonProbe.framesAdvance(socket: socket, than: first)
            let running = daemon.process.isRunning
            return (daemon.log, daemon.log.contains("connection refused"), (first, later), running, daemon.terminate().status)
        }
        let expected = "mqtt: \(broker.url): connection refused: not authorised"
        let lines = run.log.split(separator: "\n").filter { $0.contains("connection refused") }
        print("mqtt wrong credentials: \(lines.first ?? "no error line")")
        #expect(run.refused && lines.first?.contains(expected) == true, "\(run.log)")
        #expect(lines.count == 1, "the same refusal is logged once, not at every retry: \(lines)")
        #expect(run.running && run.frames.0 > 0 && run.frames.1 > run.frames.0, "the socket keeps serving: \(run.frames)")
        #expect(run.exit == 0)
        #expect(!run.log.contains("wrong-password"), "the password is never logged")
    }

    @Test func mqttsWithTheBrokersCAConnectsAndWithoutItIsRefused() async throws {
        guard DaemonProcess.available("mqttsWithTheBrokersCAConnectsAndWithoutItIsRefused"),
              MosquittoBroker.available("mqttsWithTheBrokersCAConnectsAndWithoutItIsRefused") else { return }
        let broker = try MosquittoBroker(tls: true)
        let tlsURL = "mqtts://127.0.0.1:\(broker.tlsPort ?? 0)"
        let recorder = try MQTTRecorder(port: broker.port, topics: ["csihar/+/event"])   // on the plain listener
        #expect(recorder.waitUntilSubscribed(), "\(broker.log)")
        let trusted = try config("client_id = \"csihard-test-tls\"\nca_file = \"\(broker.certificate)\"\n", name: "mqtt-tls")
        let untrusted = try config("client_id = \"csihard-test-untrusted\"\n", name: "mqtt-untrusted")
        let run = try await offPool { () throws -> [(exit: Int32?, log: String)] in
            // The same short replay through the TLS listener, with the broker's certificate as CA and with the
            // system's CAs only (which do not know it).
            let daemons = try [trusted, untrusted].map { config in
                try DaemonProcess(arguments: ["--config", config, "--source", "replay:samples/fall-1khz-intel5300.dat", "--speed", "4",
                                              "--exit-when-done", "--socket", temporarySocketPath("mqtt-tls"), "--mqtt", tlsURL],
                                  workingDirectory: repositoryRoot)
            }
            return daemons.map { ($0.waitForExit(seconds: 60)?.status, $0.log) }
        }
        #expect(run.allSatisfy { $0.exit == 0 }, "\(run.map(\.log))")
        #expect(run[0].log.contains("mqtt: \(tlsURL): connected as csihard-test-tls"), "\(run[0].log)")
        let types = recorder.messages.filter { $0.topic.hasSuffix("/event") }.map { object($0.payload)["type"] as? String ?? "" }
        // seen once under the full suite's load: stream.up missing; the daemon's log says whether its first TLS
        // connection was lost after the QoS 0 stream.up was handed to libmosquitto
        #expect(types.first == "stream.up" && types.last == "stream.down", "\(types)\n\(run[0].log)")
        #expect(!run[1].log.contains("connected as") && run[1].log.contains("mqtt: \(tlsURL): cannot connect: "), "\(run[1].log)")
        print("mqtt TLS without the broker's CA: \(run[1].log.split(separator: "\n").first { $0.contains("cannot connect") } ?? "no error line")")
    }

    @Test func missingCredentialsFileStopsStartupNamingTheKeyAndPath() throws {
        guard DaemonProcess.available("missingCredentialsFileStopsStartupNamingTheKeyAndPath") else { return }
        let config = try DaemonProbe.temporaryFile("[mqtt]\nurl = \"mqtt://127.0.0.1:9\"\ncredentials_file = \"/nonexistent/mqtt-credentials\"\n",
                                                   name: "mqtt-missing")
        let daemon = try DaemonProcess(arguments: ["--config", config, "--socket", temporarySocketPath("never")])
        let exit = daemon.waitForExit(seconds: 10)
        #expect(exit != nil && exit?.status != 0)
        #expect(daemon.log.contains(config + ":3: mqtt.credentials_file: /nonexistent/mqtt-credentials: no such file"), "\(daemon.log)")
        let flag = try DaemonProcess(arguments: ["--mqtt", "mqtt://user:pw@127.0.0.1:9", "--socket", temporarySocketPath("never")])
        #expect(flag.waitForExit(seconds: 10).map { $0.status != 0 } == true)
        #expect(flag.log.contains("--mqtt: 'mqtt://***@127.0.0.1:9': must not contain a user name or password"), "\(flag.log)")
    }

    @Test func twoDaemonsShareOneBrokerWithoutClobberingEachOther() async throws {
        guard DaemonProcess.available("twoDaemonsShareOneBrokerWithoutClobberingEachOther"),
              MosquittoBroker.available("twoDaemonsShareOneBrokerWithoutClobberingEachOther") else { return }
        let started = Date()
        let broker = try MosquittoBroker(users: [("csihar", "fleet-secret")])
        let recorder = try MQTTRecorder(port: broker.port, topics: ["csihar/#", "homeassistant/#"], user: ("csihar", "fleet-secret"))
        #expect(recorder.waitUntilSubscribed(), "\(broker.log)")
        let secret = try credentials("csihar:fleet-secret")
        let rooms = ["kitchen", "hall"]
        let run = try await offPool { () throws -> [(exit: Int32?, log: String)] in
            // Same capture (so the same stream key) on both: the topic prefix and client id keep them apart.
            let daemons = try rooms.map { room in
                try DaemonProcess(arguments: ["--config", try self.config("client_id = \"csihard-\(room)\"\ntopic_prefix = \"csihar/\(room)\"\n"
                                                                        + "credentials_file = \"\(secret)\"\n", name: "mqtt-\(room)"),
                                              "--source", Self.sample, "--speed", "10", "--exit-when-done",
                                              "--socket", temporarySocketPath("mqtt-\(room)"), "--mqtt", broker.url],
                                  workingDirectory: repositoryRoot)
            }
            let exits = daemons.map { ($0.waitForExit(seconds: 60)?.status, $0.log) }
            _ = recorder.wait(seconds: 5) { messages in
                rooms.allSatisfy { room in messages.contains { $0.topic == "csihar/\(room)/daemon/csihard-\(room)/availability" && $0.payload == "offline" } }
            }
            return exits
        }
        for (exit, log) in run { #expect(exit == 0, "\(log)") }
        let messages = recorder.messages
        let discovery = messages.filter { $0.topic.hasPrefix("homeassistant/") }
        let ids = discovery.compactMap { object($0.payload)["unique_id"] as? String }
        #expect(discovery.count == 10 && Set(ids).count == 10 && Set(discovery.map(\.topic)).count == 10, "\(discovery.map(\.topic))")
        let level = "replay:samples%2Fliving-room-intel5300.dat|unknown"
        for room in rooms {
            #expect(discovery.filter { $0.topic.contains("/csihard_\(room)_") }.count == 5)
            let configs = discovery.filter { $0.topic.contains("/csihard_\(room)_") }.map { object($0.payload) }
            #expect(configs.allSatisfy { ($0["state_topic"] as? String)?.hasPrefix("csihar/\(room)/") == true })
            let events = messages.filter { $0.topic == "csihar/\(room)/\(level)/event" }.map { object($0.payload)["type"] as? String ?? "" }
            #expect(events.first == "stream.up" && events.last == "stream.down" && events.contains("fall.detected"), "\(room): \(events)")
            let availability = messages.filter { $0.topic == "csihar/\(room)/daemon/csihard-\(room)/availability" }.map(\.payload)
            #expect(availability.first == "online" && availability.last == "offline", "\(room): \(availability)")
        }
        print("mqtt fleet: two daemons, \(messages.count) messages, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
