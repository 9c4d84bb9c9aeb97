import Foundation
import Testing
@testable import CSIEvents

@Suite struct NDJSONEncoderTests {
    @Test func everyPayloadIsOneValidJSONLineWithTheCommonFieldsFirst() throws {
        var counters = DaemonCounters()
        counters.frames = 12
        counters.latencyP99Milliseconds = 3.25
        let payloads: [EventPayload] = [
            .activityStarted(activity: "walk", confidence: 0.8123456789),
            .activityEnded(activity: "sit down", confidence: 0.7, duration: 2.5),
            .fallDetected(confidence: 0.9),
            .prediction(labels: ["a", "b"], probabilities: [0.25, 0.75], motionEnergy: 1.5),
            .streamUp(source: "replay:/tmp/x.dat", device: "intel5300"),
            .streamDown(reason: "silence"),
            .streamError(kind: "truncated", message: "file \"x\"\n\u{1}bad"),
            .heartbeat(counters),
            .gap(dropped: 7),
        ]
        var encoder = NDJSONEncoder()
        for (index, payload) in payloads.enumerated() {
            let event = Event(seq: UInt64(index + 1), time: 12.5, wallTime: 1_795_000_000.25,
                              stream: index == 7 ? nil : "replay:x|00:11:22:33:44:55", payload: payload)
            let bytes = encoder.encode(event)
            #expect(bytes.last == UInt8(ascii: "\n"))
            #expect(bytes.dropLast().contains(UInt8(ascii: "\n")) == false)
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("{\"type\":\"\(payload.type.rawValue)\",\"seq\":\(index + 1),\"time\":12.5,\"wall_time\":\""))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            #expect(object["type"] as? String == payload.type.rawValue)
            #expect(object["seq"] as? Int == index + 1)
            #expect(object["wall_time"] as? String == ISO8601.format(1_795_000_000.25))
        }
        let error = String(decoding: encoder.encode(Event(time: 0, wallTime: 0, stream: nil,
            payload: .streamError(kind: "k", message: "a\"b\\c\u{1}"))), as: UTF8.self)
        #expect(error.contains(#""message":"a\"b\\c\u0001""#))
    }

    @Test func iso8601MatchesFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 951_782_400.5, 1_795_000_000.999, 4_102_444_799.123, 1_078_012_800.0] {
            #expect(ISO8601.format(seconds) == formatter.string(from: Date(timeIntervalSince1970: seconds)))
        }
    }

    @Test func numbersAreShortFixedPoint() {
        var encoder = NDJSONEncoder()
        let text = String(decoding: encoder.encode(Event(time: 893.7771839999999, wallTime: 0, stream: nil,
                                                         payload: .fallDetected(confidence: 0.1 + 0.2))), as: UTF8.self)
        #expect(text.contains("\"time\":893.777184,"))
        #expect(text.contains("\"confidence\":0.3}"))
        let negative = String(decoding: encoder.encode(Event(time: -2.05, wallTime: 0, stream: nil, payload: .gap(dropped: 1))), as: UTF8.self)
        #expect(negative.contains("\"time\":-2.05,"))
    }

    @Test func nonFiniteNumbersBecomeNull() throws {
        var encoder = NDJSONEncoder()
        let bytes = encoder.encode(Event(time: .nan, wallTime: 0, stream: "s", payload: .fallDetected(confidence: .infinity)))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["time"] is NSNull)
        #expect(object["confidence"] is NSNull)
    }
}
