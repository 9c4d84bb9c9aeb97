import Testing
@testable import CSIEvents

/// The `state` greeting's content is folded from the published events alone.
@Suite struct StreamStateTests {
    @Test func eventsFoldIntoTheCurrentState() {
        var streams: [String: StreamState] = [:]
        func apply(_ stream: String, _ time: Double, _ payload: EventPayload) {
            StreamState.apply(Event(time: time, wallTime: 0, stream: stream, payload: payload), to: &streams)
        }
        apply("a|x", 1, .streamUp(source: "replay:a", device: "intel5300"))
        apply("b|y", 2, .streamUp(source: "pcap:wlan0", device: "nexmon"))
        apply("a|x", 5, .activityStarted(activity: "walk", confidence: 0.9, startTime: 3.5))
        apply("b|y", 6, .activityStarted(activity: "sit down", confidence: 0.8))
        apply("b|y", 9, .activityEnded(activity: "sit down", confidence: 0.5, duration: 3))
        apply("b|y", 12, .fallDetected(confidence: 0.9, fallTime: 10))
        apply("c|z", 13, .activityStarted(activity: "run", confidence: 0.9))      // never up: ignored
        #expect(streams["a|x"]?.activity == "walk" && streams["a|x"]?.activitySince == 3.5)
        #expect(streams["b|y"]?.activity == nil && streams["b|y"]?.activitySince == nil && streams["b|y"]?.lastFall == 10)
        #expect(streams["c|z"] == nil)
        apply("a|x", 20, .streamDown(reason: "source-ended"))
        #expect(streams.keys.sorted() == ["b|y"])
        var encoder = NDJSONEncoder()
        let line = String(decoding: encoder.encode(Event(seq: 7, time: 20, wallTime: 0, stream: nil,
                                                         payload: .state(streams: [streams["b|y"]!]))), as: UTF8.self)
        print(line, terminator: "")
        #expect(line.contains("\"streams\":[{\"stream\":\"b|y\",\"source\":\"pcap:wlan0\",\"device\":\"nexmon\",\"activity\":null,\"activity_since\":null,\"last_fall\":10}]"))
    }
}
