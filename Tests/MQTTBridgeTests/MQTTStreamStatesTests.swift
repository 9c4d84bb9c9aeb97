import CSIEvents
import Foundation
import MQTTBridge
import Testing

/// The retained per-stream state folded from events, and what the bridge queues for them.
@Suite struct MQTTStreamStatesTests {
    static let key = "pcap:wlan0|00:11:22:33:44:55"
    func event(_ payload: EventPayload, stream: String? = key, time: Double = 10, wall: Double = 1_800_000_000) -> Event {
        Event(seq: 1, time: time, wallTime: wall, stream: stream, payload: payload)
    }

    @Test func foldsActivityFallAndDown() throws {
        var states = MQTTStreamStates()
        #expect(states.apply(event(.activityStarted(activity: "walk", confidence: 0.9))) == ([], []), "unknown stream: ignored")
        #expect(states.apply(event(.streamUp(source: "pcap:wlan0", device: "nexmon"))) == ([Self.key], [Self.key]))
        _ = states.apply(event(.activityStarted(activity: "walk", confidence: 0.8735119, startTime: 8.5), time: 11))
        var object = try #require(states.object(Self.key))
        #expect(object["activity"] as? String == "walk" && object["confidence"] as? Double == 0.873512)
        #expect(object["activity_since"] as? Double == 8.5 && object["up"] as? Bool == true)
        _ = states.apply(event(.fallDetected(confidence: 0.74, fallTime: 12.25), time: 14.25, wall: 1_800_000_001.5))
        _ = states.apply(event(.activityEnded(activity: "walk", confidence: 0.8, duration: 3), time: 15))
        _ = states.apply(event(.heartbeat({ var c = DaemonCounters(); c.latencyP50Milliseconds = 4.5; c.latencyP99Milliseconds = 7.25; return c }()),
                               stream: nil))
        #expect(states.apply(diagnostics: [Self.key: MQTTStreamDiagnostics(rateHz: 49.96, model: "m",
                                                                          calibration: .init(head: true, baseline: false, created: "c"))]) == [Self.key])
        #expect(states.apply(diagnostics: [Self.key: MQTTStreamDiagnostics(rateHz: 49.96, model: "m",
                                                                          calibration: .init(head: true, baseline: false, created: "c"))]) == [],
                "unchanged diagnostics change nothing")
        object = try #require(states.object(Self.key))
        #expect(object["activity"] is NSNull && object["confidence"] is NSNull)
        #expect(object["last_fall"] as? Double == 12.25 && object["last_fall_confidence"] as? Double == 0.74)
        #expect(object["last_fall_at"] as? String == "2027-01-15T08:00:01.500Z")
        #expect(object["latency_p99_ms"] as? Double == 7.25 && object["rate_hz"] as? Double == 50)
        #expect((object["calibration"] as? [String: Any])?["head"] as? Bool == true)
        #expect(object["device"] as? String == "nexmon")
        _ = states.apply(event(.streamDown(reason: "silence")))
        object = try #require(states.object(Self.key))
        #expect(object["up"] as? Bool == false && object["last_fall"] as? Double == 12.25, "a stream that went down keeps its history")
        let payload = try #require(states.payload(Self.key))
        #expect(String(decoding: payload, as: UTF8.self).hasPrefix("{\"activity\":null,"), "keys sorted")
    }

    @Test func stateGreetingSeedsStreamsAlreadyUp() {
        var states = MQTTStreamStates()
        let up = StreamState(stream: Self.key, source: "pcap:wlan0", device: "nexmon", activity: "sit down", activitySince: 3)
        let result = states.apply(event(.state(streams: [up]), stream: nil))
        #expect(result.new == [Self.key])
        #expect(states.entries[Self.key]?.state.activity == "sit down")
    }

    @Test func streamsLongDownAreForgottenBeyondTheLimit() {
        var states = MQTTStreamStates()
        for index in 0..<70 {
            _ = states.apply(event(.streamUp(source: "pcap:wlan0", device: "nexmon"), stream: "s\(index)"))
        }
        for index in 0..<70 { _ = states.apply(event(.streamDown(reason: "source-lost"), stream: "s\(index)")) }
        _ = states.apply(event(.streamDown(reason: "source-lost"), stream: "s3"))            // a second down: no effect
        _ = states.apply(event(.streamUp(source: "pcap:wlan0", device: "nexmon"), stream: "s1"))  // back up: kept
        let gone = states.expire(keepingDown: 64)
        #expect(gone.map(\.stream) == ["s0", "s2", "s3", "s4", "s5"], "the longest-down first, never an up stream")
        #expect(gone.allSatisfy { $0.device == "nexmon" })
        #expect(states.entries.count == 65 && states.entries["s1"]?.up == true && states.entries["s0"] == nil)
        #expect(states.downOrder.count == 64 && states.expire(keepingDown: 64).isEmpty)
    }

    @Test func bridgeQueuesEventsWithTheirQoSWithoutABroker() throws {
        var settings = MQTTSettings()
        settings.url = MQTTURL(tls: false, host: "127.0.0.1", port: 1)
        settings.clientID = "unit"
        settings.queueMessages = 16
        let bridge = try MQTTBridge(settings: settings, version: "test") { _, _ in }
        bridge.handle(event(.state(streams: []), stream: nil))
        bridge.handle(event(.streamUp(source: "pcap:wlan0", device: "nexmon")))
        bridge.handle(event(.prediction(labels: ["a"], probabilities: [1], motionEnergy: 0)))
        bridge.handle(event(.fallDetected(confidence: 0.9, fallTime: 9)))
        var counters = bridge.counters
        #expect(counters.queued == 3, "stream.up, fall.detected and its ON; no prediction or state")
        #expect(counters.published == ["stream.up": 1, "fall.detected": 1])
        for _ in 0..<40 { bridge.handle(event(.heartbeat(DaemonCounters()), stream: nil)) }
        counters = bridge.counters
        #expect(counters.queued == 16 && counters.dropped == 27 && counters.droppedQoS1 == 0)
        #expect(MQTTBridge.qos(for: .fallDetected) == 1 && MQTTBridge.qos(for: .activityEnded) == 1)
        #expect(MQTTBridge.qos(for: .daemonHeartbeat) == 0 && MQTTBridge.qos(for: .streamUp) == 0)
    }
}
