import Foundation
import MQTTBridge
import Testing

/// Discovery configs: the entities Home Assistant needs, ids that never collide across streams or daemons.
@Suite struct HomeAssistantDiscoveryTests {
    static let key = "replay:samples/living-room-intel5300.dat|unknown"

    func configs(clientID: String, stream: String = key) throws -> [(topic: String, config: [String: Any])] {
        let topics = MQTTTopics(prefix: "csihar", discoveryPrefix: "homeassistant", clientID: clientID)
        return try HomeAssistantDiscovery(topics: topics, version: "1.2.3").messages(stream: stream, device: "intel5300").map {
            #expect($0.retain && $0.qos == 1)
            return ($0.topic, try #require(JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any]))
        }
    }

    @Test func everyStreamGetsActivityFallAndDiagnosticEntities() throws {
        let entries = try configs(clientID: "csihard-kitchen")
        #expect(entries.map { $0.topic.split(separator: "/")[3].hasSuffix("_activity") } == [true, false, false, false, false])
        #expect(entries.count == 5)
        let components = entries.map { String($0.topic.split(separator: "/")[1]) }
        #expect(components == ["sensor", "binary_sensor", "sensor", "sensor", "sensor"])
        let state = "csihar/replay:samples%2Fliving-room-intel5300.dat|unknown/state"
        for (topic, config) in entries {
            #expect(topic.hasPrefix("homeassistant/") && topic.hasSuffix("/config"))
            #expect(config["json_attributes_topic"] as? String == state)
            #expect(config["availability_mode"] as? String == "all")
            let availability = (config["availability"] as? [[String: Any]])?.compactMap { $0["topic"] as? String }
            #expect(availability == ["csihar/daemon/csihard-kitchen/availability",
                                     "csihar/replay:samples%2Fliving-room-intel5300.dat|unknown/availability"])
            let device = try #require(config["device"] as? [String: Any])
            #expect((device["identifiers"] as? [String])?.first?.hasPrefix("csihar_csihard_kitchen_") == true)
            #expect(device["sw_version"] as? String == "1.2.3")
            #expect((config["unique_id"] as? String)?.hasPrefix("csihar_csihard_kitchen_") == true)
        }
        let activity = entries[0].config
        #expect(activity["state_topic"] as? String == state)
        #expect((activity["value_template"] as? String)?.contains("value_json.activity") == true)
        let fall = entries[1].config
        #expect(fall["state_topic"] as? String == "csihar/replay:samples%2Fliving-room-intel5300.dat|unknown/fall")
        #expect(fall["device_class"] as? String == "safety" && fall["payload_on"] as? String == "ON")
        #expect(fall["off_delay"] as? Int == 60)
        #expect(entries[2].config["device_class"] as? String == "timestamp")
        for diagnostic in entries[3...] {
            #expect(diagnostic.config["entity_category"] as? String == "diagnostic")
            #expect(diagnostic.config["unit_of_measurement"] != nil)
        }
        #expect(entries[3].config["unit_of_measurement"] as? String == "Hz")
        #expect(entries[4].config["unit_of_measurement"] as? String == "ms")
    }

    @Test func twoDaemonsOrTwoStreamsNeverShareIdsOrTopics() throws {
        let a = try configs(clientID: "csihard-kitchen")
        let b = try configs(clientID: "csihard-hall")
        let c = try configs(clientID: "csihard-kitchen", stream: "replay:samples_living-room-intel5300.dat|unknown")
        let ids = (a + b + c).compactMap { $0.config["unique_id"] as? String }
        #expect(Set(ids).count == 15, "\(ids)")
        #expect(Set((a + b + c).map(\.topic)).count == 15)
        let devices = Set((a + b + c).compactMap { (($0.config["device"] as? [String: Any])?["identifiers"] as? [String])?.first })
        #expect(devices.count == 3)
    }
}
