import Foundation
import MQTTBridge
import Testing

/// Stream keys as topic levels and Home Assistant ids.
@Suite struct MQTTTopicsTests {
    let topics = MQTTTopics(prefix: "csihar", discoveryPrefix: "homeassistant", clientID: "csihard-kitchen")

    @Test func streamKeysBecomeOneLevel() {
        #expect(MQTTTopics.level("replay:samples/living-room.dat|unknown") == "replay:samples%2Fliving-room.dat|unknown")
        #expect(MQTTTopics.level("pcap:wlan0|00:11:22:33:44:55") == "pcap:wlan0|00:11:22:33:44:55")
        #expect(MQTTTopics.level("a+b#c%d") == "a%2Bb%23c%25d")
        #expect(MQTTTopics.level("$SYS/x") == "%24SYS%2Fx")
        #expect(MQTTTopics.level("a$b") == "a$b")
        #expect(MQTTTopics.level("tab\there") == "tab%09here")
        #expect(MQTTTopics.level("küche/1") == "küche%2F1")
        // Reversible: a literal "%2F" in a key is not confused with "/".
        #expect(MQTTTopics.level("a%2Fb") != MQTTTopics.level("a/b"))
        for key in ["replay:samples/x.dat|unknown", "a+b", "#", "x/y/z"] {
            let level = MQTTTopics.level(key)
            #expect(!level.contains("/") && !level.contains("+") && !level.contains("#"), "\(level)")
        }
    }

    @Test func topicNames() {
        let key = "pcap:wlan0|00:11:22:33:44:55"
        #expect(topics.eventTopic(stream: key) == "csihar/pcap:wlan0|00:11:22:33:44:55/event")
        #expect(topics.eventTopic(stream: nil) == "csihar/daemon/csihard-kitchen/event")
        #expect(topics.stateTopic(key) == "csihar/pcap:wlan0|00:11:22:33:44:55/state")
        #expect(topics.availabilityTopic(key) == "csihar/pcap:wlan0|00:11:22:33:44:55/availability")
        #expect(topics.fallTopic(key) == "csihar/pcap:wlan0|00:11:22:33:44:55/fall")
        #expect(topics.daemonAvailabilityTopic == "csihar/daemon/csihard-kitchen/availability")
        let discovery = topics.discoveryTopic(component: "sensor", stream: key, entity: "activity")
        #expect(discovery.hasPrefix("homeassistant/sensor/csihard_kitchen_"))
        #expect(discovery.hasSuffix("_activity/config"))
        #expect(discovery.split(separator: "/").count == 5)
    }

    @Test func objectIDsAreHomeAssistantSafeAndDistinct() {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
        let keys = ["replay:samples/a.dat|unknown", "replay:samples_a.dat|unknown", "pcap:wlan0|00:11:22:33:44:55",
                    "pcap:wlan0|00-11-22-33-44-55", "group:hall|unknown", "", "///", "Küche"]
        let ids = keys.map(MQTTTopics.objectID)
        for id in ids { #expect(id.allSatisfy { allowed.contains($0) } && !id.isEmpty, "\(id)") }
        #expect(Set(ids).count == keys.count, "\(ids)")
        #expect(MQTTTopics.objectID("pcap:wlan0|00:11:22:33:44:55").hasPrefix("pcap_wlan0_00_11_22_33_44_55_"))
        #expect(MQTTTopics.objectID("x") == MQTTTopics.objectID("x"), "stable across calls (and runs: FNV-1a)")
    }
}
