import CSIEvents
import Foundation
import Testing
@testable import CSIDaemon

/// docs/events.schema.json against what the daemon really writes: every payload the encoder makes, the README's
/// examples, and every line of a real csihard run (default model, bundled sample, status and error replies);
/// and the validator rejects what the schema forbids (so these tests can fail).
@Suite struct EventSchemaTests {
    static let schemaPath = repositoryRoot + "/docs/events.schema.json"

    private func validator() throws -> JSONSchemaValidator { try JSONSchemaValidator(path: Self.schemaPath) }

    /// One event of every payload kind (and every stream.down reason), as the hub encodes them.
    static func sampleEvents() -> [Event] {
        let stream = "replay:samples/x.dat|00:11:22:33:44:55"
        var counters = DaemonCounters()
        counters.frames = 8182; counters.windows = 160; counters.events = 180; counters.streams = 1
        counters.subscribers = 2; counters.droppedLines = 3; counters.recordIssues = 1
        counters.latencyP50Milliseconds = 4.25; counters.latencyP99Milliseconds = 12.5
        let payloads: [(String?, EventPayload)] = [
            (stream, .streamUp(source: "replay:samples/x.dat", device: "intel5300")),
            (stream, .prediction(labels: ["walk", "fall", "idle"], probabilities: [0.7, 0.1, 0.2], motionEnergy: 0.25)),
            (stream, .activityStarted(activity: "walk", confidence: 0.912345678)),
            (stream, .activityEnded(activity: "walk", confidence: 0.8, duration: 3.2)),
            (stream, .fallDetected(confidence: 1)),
            (stream, .fallDetected(confidence: 0.742, fallTime: 881.7775)),
            (stream, .streamError(kind: "features", message: "frame has 1 antenna, the layout needs 3 \"quoted\"\n")),
            ("pcap:wlan0", .streamError(kind: "source-lost", message: "wlan0: The interface disappeared; retrying in 1 s")),
            (nil, .streamError(kind: "inference", message: "model failed")),
            (nil, .heartbeat(counters)),
            (nil, .gap(dropped: 17)),
            (nil, .state(streams: [])),
            (nil, .state(streams: [StreamState(stream: stream, source: "replay:samples/x.dat", device: "intel5300",
                                               activity: "walk", activitySince: 881.5, lastFall: nil),
                                   StreamState(stream: "pcap:wlan0|aa:bb:cc:dd:ee:ff", source: "pcap:wlan0",
                                               device: "nexmon", lastFall: 870.25)])),
        ] + ["silence", "source-ended", "source-lost", "shutdown"].map { (stream, .streamDown(reason: $0)) }
        return payloads.enumerated().map { index, item in
            let isGap = if case .gap = item.1 { true } else { false }
            return Event(seq: isGap ? 0 : UInt64(index + 1), time: isGap ? 0 : 883.7775 + Double(index) * 0.2,
                         wallTime: 1_796_000_000.123, stream: item.0, payload: item.1)
        }
    }

    @Test func everyPayloadTheEncoderMakesMatchesTheSchema() throws {
        let validator = try validator()
        var encoder = NDJSONEncoder()
        var covered = Set<EventType>()
        for event in Self.sampleEvents() {
            let line = String(decoding: encoder.encode(event).dropLast(), as: UTF8.self)
            let problems = validator.validate(line: line)
            #expect(problems.isEmpty, "\(line)\n\(problems.joined(separator: "\n"))")
            covered.insert(event.type)
        }
        #expect(covered == Set(EventType.allCases), "every event type is exercised")
        // The replies a subscriber can get besides events.
        let error = String(decoding: SubscriberRequest.errorLine("unknown event type \"x\"").dropLast(), as: UTF8.self)
        #expect(validator.validate(line: error).isEmpty, "\(error)")
    }

    @Test func validatorRejectsWhatTheSchemaForbids() throws {
        let validator = try validator()
        let good = #"{"type":"activity.started","seq":7,"time":12.4,"wall_time":"2026-11-30T12:00:00.123Z","stream":"replay:a.dat|unknown","activity":"walk","confidence":0.91}"#
        #expect(validator.validate(line: good).isEmpty, "control: a valid line passes")
        let bad: [(String, String)] = [
            (good.replacingOccurrences(of: #""seq":7,"#, with: ""), #"missing required "seq""#),
            (good.replacingOccurrences(of: "0.91", with: "1.5"), "above the maximum"),
            (good.replacingOccurrences(of: #""seq":7"#, with: #""seq":7.5"#), "expected integer"),
            (good.replacingOccurrences(of: #""seq":7"#, with: #""seq":0"#), "below the minimum"),
            (good.replacingOccurrences(of: "}", with: #","mood":"happy"}"#), #"unexpected key "mood""#),
            (good.replacingOccurrences(of: "activity.started", with: "activity.paused"), "is none of"),
            (good.replacingOccurrences(of: "2026-11-30T12:00:00.123Z", with: "2026-11-30 12:00:00"), "does not match"),
            (good.replacingOccurrences(of: "replay:a.dat|unknown", with: "replay:a.dat"), "does not match"),
            (#"{"type":"stream.down","seq":3,"time":1,"wall_time":"2026-11-30T12:00:00.123Z","stream":"s|t","reason":"bored"}"#, "is not one of"),
            (#"{"type":"subscriber.gap","seq":5,"time":0,"wall_time":"2026-11-30T12:00:00.123Z","dropped":3}"#, "must be 0"),
            (#"{"type":"prediction","seq":3,"time":1,"wall_time":"2026-11-30T12:00:00.123Z","stream":"s|t","probabilities":{"walk":"high"},"motion_energy":0}"#, "expected number"),
            (#"{"type":"daemon.heartbeat","seq":3,"time":1,"wall_time":"2026-11-30T12:00:00.123Z"}"#, #"missing required "frames""#),
            (#"{"type":"status","model":null}"#, #"missing required "streams""#),
            ("{\"type\":\"error\"", "syntax error"),
            (good + " {}", "syntax error"),
        ]
        for (line, expected) in bad {
            let problems = validator.validate(line: line)
            #expect(problems.contains { $0.contains(expected) }, "\(line)\nexpected a problem with \"\(expected)\", got \(problems)")
        }
        // A schema keyword outside the validator's subset is refused rather than ignored.
        #expect(throws: JSONSchemaValidator.SchemaError.self) {
            try JSONSchemaValidator(schema: try JSONValue(parsing: #"{"type":"array","minItems":2}"#))
        }
    }

    @Test func readmeExamplesMatchTheSchemaAndCoverEveryType() throws {
        let validator = try validator()
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        guard let start = readme.range(of: "\n## Events\n") else {
            Issue.record("README.md has no \"## Events\" section")
            return
        }
        let section = readme[start.upperBound...]
        let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
        // Every line of the section's code blocks is one example.
        var examples: [String] = [], inBlock = false
        for line in section[..<end].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inBlock.toggle() } else if inBlock { examples.append(String(line)) }
        }
        var types = Set<String>()
        for line in examples {
            let problems = validator.validate(line: line)
            #expect(problems.isEmpty, "README example \(line)\n\(problems.joined(separator: "\n"))")
            if case .string(let type)? = try? JSONValue(parsing: line)["type"] { types.insert(type) }
        }
        let documented = Set(EventType.allCases.map(\.rawValue)).union(["status", "calibration", "error"])
        #expect(types == documented, "README examples cover \(types.sorted()); expected \(documented.sorted())")
    }

    /// The real daemon (default model) on a bundled sample: every line a subscriber asking for every type gets,
    /// plus a status and an error reply, matches the schema.
    @Test func everyLineOfARealDaemonRunMatchesTheSchema() async throws {
        guard DaemonProcess.available("everyLineOfARealDaemonRunMatchesTheSchema") else { return }
        let validator = try validator()
        let socket = temporarySocketPath("schema")
        let run = try await offPool { () throws -> (lines: [String], status: Int32?, log: String) in
            let daemon = try DaemonProcess(
                arguments: ["--source", "replay:samples/fall-1khz-intel5300.dat", "--speed", "max", "--socket", socket,
                            "--wait-for-subscriber", "--exit-when-done", "--heartbeat-seconds", "0.05"],
                workingDirectory: repositoryRoot)
            guard waitForSocket(socket) else { return ([], nil, daemon.log) }
            let client = try TestClient(path: socket)
            let allTypes = EventType.allCases.filter { $0 != .subscriberGap }.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
            client.send("{\"request\":\"status\"}\n{\"types\":[\"walking\"]}\n{\"types\":[\(allTypes)]}\n")
            let lines = client.readLines(seconds: 30)   // to EOF: the daemon exits when the replay is done
            return (lines, daemon.waitForExit(seconds: 10)?.status, daemon.log)
        }
        let lines = run.lines
        #expect(run.status == 0, "\(run.log)")
        var counts: [String: Int] = [:]
        var failures = 0
        for line in lines {
            let problems = validator.validate(line: line)
            if !problems.isEmpty && failures < 5 {
                failures += 1
                Issue.record("\(line)\n\(problems.joined(separator: "\n"))")
            }
            if case .string(let type)? = try? JSONValue(parsing: line)["type"] { counts[type, default: 0] += 1 }
        }
        print("real daemon run: \(lines.count) lines validated against docs/events.schema.json: "
              + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        for type in ["state", "stream.up", "prediction", "stream.down", "daemon.heartbeat", "status", "error"] {
            #expect(counts[type, default: 0] > 0, "saw \(type)")
        }
    }
}
