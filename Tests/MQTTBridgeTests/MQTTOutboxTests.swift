import MQTTBridge
import Testing

/// The bounded queue: drop policy, retained topics, order after a reconnection.
@Suite struct MQTTOutboxTests {
    func event(_ name: String, qos: Int32) -> MQTTMessage { MQTTMessage(topic: "t/\(name)", text: name, qos: qos, retain: false) }
    func drain(_ outbox: inout MQTTOutbox) -> [String] {
        var names: [String] = []
        while let message = outbox.next() { names.append(message.text) }
        return names
    }

    @Test func fullQueueDropsTheOldestQoS0First() {
        var outbox = MQTTOutbox(capacity: 4)
        outbox.enqueue(event("fall1", qos: 1))
        outbox.enqueue(event("hb1", qos: 0))
        outbox.enqueue(event("walk", qos: 1))
        outbox.enqueue(event("hb2", qos: 0))
        outbox.enqueue(event("fall2", qos: 1))   // drops hb1
        outbox.enqueue(event("hb3", qos: 0))     // drops hb2
        #expect(outbox.dropped == 2 && outbox.droppedQoS1 == 0)
        #expect(drain(&outbox) == ["fall1", "walk", "fall2", "hb3"])
    }

    @Test func onlyQoS1LeftDropsTheOldestQoS1AndCountsIt() {
        var outbox = MQTTOutbox(capacity: 3)
        for index in 1...5 { outbox.enqueue(event("fall\(index)", qos: 1)) }
        #expect(outbox.dropped == 2 && outbox.droppedQoS1 == 2)
        #expect(outbox.queuedEvents == 3)
        #expect(drain(&outbox) == ["fall3", "fall4", "fall5"])
    }

    @Test func aLongOutageKeepsTheQueueBounded() {
        var outbox = MQTTOutbox(capacity: 150)
        for index in 0..<100_000 { outbox.enqueue(event("e\(index)", qos: index % 1000 == 0 ? 1 : 0)) }
        #expect(outbox.queuedEvents == 150)
        #expect(outbox.dropped == 99_850 && outbox.droppedQoS1 == 0)
        let kept = drain(&outbox)
        #expect(kept.filter { Int($0.dropFirst())! % 1000 == 0 }.count == 100, "every QoS 1 message survives")
    }

    @Test func retainedTopicsKeepTheLatestAndComeFirstAfterAReconnection() {
        var outbox = MQTTOutbox(capacity: 10)
        outbox.setRetained(MQTTMessage(topic: "avail", text: "online", qos: 1, retain: true))
        outbox.setRetained(MQTTMessage(topic: "state", text: "walk", qos: 1, retain: true))
        outbox.enqueue(event("e1", qos: 1))
        outbox.setRetained(MQTTMessage(topic: "state", text: "idle", qos: 1, retain: true))
        #expect(drain(&outbox) == ["online", "idle", "e1"])
        outbox.setRetained(MQTTMessage(topic: "state", text: "idle", qos: 1, retain: true))
        #expect(outbox.isEmpty, "an unchanged retained payload is not sent again")
        outbox.enqueue(event("e2", qos: 0))
        outbox.connected()
        #expect(drain(&outbox) == ["online", "idle", "e2"])
    }

    @Test func putBackGoesFirst() {
        var outbox = MQTTOutbox(capacity: 10)
        outbox.enqueue(event("a", qos: 1))
        outbox.enqueue(event("b", qos: 1))
        let first = outbox.next()!
        outbox.putBack(first)
        #expect(drain(&outbox) == ["a", "b"])
        outbox.setRetained(MQTTMessage(topic: "s", text: "x", qos: 1, retain: true))
        let retained = outbox.next()!
        outbox.putBack(retained)
        #expect(outbox.pendingRetained == 1)
        #expect(drain(&outbox) == ["x"])
    }

    @Test func aForgottenRetainedTopicIsClearedOnceAndNeverResent() {
        var outbox = MQTTOutbox(capacity: 8)
        outbox.setRetained(MQTTMessage(topic: "ha/sensor/x/config", text: "{}", qos: 1, retain: true))
        outbox.setRetained(MQTTMessage(topic: "csihar/x/state", text: "{}", qos: 1, retain: true))
        while outbox.next() != nil {}
        outbox.forgetRetained("ha/sensor/x/config")
        outbox.forgetRetained("unknown/topic")                     // never kept: nothing to clear
        let clear = outbox.next()
        #expect(clear?.topic == "ha/sensor/x/config" && clear?.payload.isEmpty == true && clear?.retain == true && clear?.qos == 1)
        #expect(outbox.next() == nil)
        outbox.connected()                                         // a reconnection resends what is kept, only
        #expect(outbox.next()?.topic == "csihar/x/state" && outbox.next() == nil)
        #expect(outbox.retainedMessage("ha/sensor/x/config") == nil)
    }
}
