import CSITestSupport
import Foundation
import Testing

/// `csihar evaluate --events` as a whole process (the debug binary `swift build --build-tests` builds next to the
/// tests), run from the repository root. Skipped with a message when the binary or the sample is not there.
@Suite struct EventEvaluationProcessTests {
    private static let root = SharedData.repositoryRoot()

    /// Runs the built csihar in the repository root; nil (with a skip message) when it is not built.
    private func csihar(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String)? {
        try runCsihar(arguments)
    }

    /// A figure that is either null or a number in `range`.
    private func check(_ object: [String: Any], _ key: String, in range: ClosedRange<Double>) {
        if object[key] is NSNull { return }
        guard let number = object[key] as? Double else { Issue.record("\(key) is neither null nor a number: \(String(describing: object[key]))"); return }
        #expect(range.contains(number), "\(key) = \(number)")
    }

    @Test func eventsJSONOnTheFallSample() throws {
        let capture = "samples/fall-1khz-intel5300.dat"
        guard FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(capture).path) else {
            print("SKIP: \(capture) is missing"); return
        }
        let eventsFile = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-events-\(getpid()).ndjson").path
        defer { try? FileManager.default.removeItem(atPath: eventsFile) }
        guard let run = try csihar(["evaluate", "--events", "--json", "--capture", capture,
                                    "--model", "models/ut-har-ablstm.safetensors", "--events-out", eventsFile]) else { return }
        #expect(run.status == 0, "\(run.stderr)")
        print("evaluate --events: \(run.stdout)")
        #expect(!run.stdout.lowercased().contains("nan"))
        let parsed = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
        guard let object = parsed as? [String: Any] else { Issue.record("not a JSON object: \(run.stdout)"); return }
        for key in ["event_precision", "event_recall", "event_f1", "fall_recall", "false_falls", "false_falls_per_hour",
                    "onset_delay_median_s", "fall_delay_median_s", "per_activity", "hours", "captures", "model", "tolerance_s"] {
            #expect(object.keys.contains(key), "missing \(key)")
        }
        for key in ["event_precision", "event_recall", "event_f1", "fall_recall"] { check(object, key, in: 0...1) }
        check(object, "false_falls_per_hour", in: 0...1e6)
        check(object, "onset_delay_median_s", in: -1.5...20)
        check(object, "fall_delay_median_s", in: -1.5...20)
        #expect((object["false_falls"] as? Int).map { $0 >= 0 } == true)
        // The sample is 11 s long: idle, walk 3.5-6.5 s, fall 6.5-8 s, idle.
        let hours = object["hours"] as? Double ?? 0
        #expect(hours > 10.5 / 3600 && hours < 11.5 / 3600)
        #expect(object["captures"] as? Int == 1)
        #expect(object["model"] as? String == "models/ut-har-ablstm.safetensors")
        #expect(object["tolerance_s"] as? Double == 1.5)
        let perActivity = object["per_activity"] as? [String: Any] ?? [:]
        for activity in ["walk", "fall"] {
            let figures = perActivity[activity] as? [String: Any] ?? [:]
            #expect(figures["truth"] as? Int == 1, "\(activity): \(figures)")
            for key in ["precision", "recall", "f1"] { check(figures, key, in: 0...1) }
            #expect((figures["matched"] as? Int ?? -1) <= (figures["predicted"] as? Int ?? -1))
        }
        // The events file holds the daemon's events of the run: the stream up first, down (source-ended) last.
        let lines = try String(contentsOfFile: eventsFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("{\"type\":\"stream.up\"") == true)
        #expect(lines.last?.contains("\"reason\":\"source-ended\"") == true)
    }

    @Test func aMissingCaptureOrSidecarIsOneLineNamingThePath() throws {
        guard let missing = try csihar(["evaluate", "--events", "--capture", "samples/no-such.dat",
                                        "--model", "models/ut-har-ablstm.safetensors"]) else { return }
        #expect(missing.status != 0)
        let message = missing.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(message.split(separator: "\n").count == 1 && message.contains("samples/no-such.dat"), "\(missing.stderr)")

        let sidecarless = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-nolabels-\(getpid()).dat").path
        try Data([0]).write(to: URL(fileURLWithPath: sidecarless))
        defer { try? FileManager.default.removeItem(atPath: sidecarless) }
        guard let noSidecar = try csihar(["evaluate", "--events", "--capture", sidecarless,
                                          "--model", "models/ut-har-ablstm.safetensors"]) else { return }
        #expect(noSidecar.status != 0)
        let line = noSidecar.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.split(separator: "\n").count == 1 && line.contains(sidecarless.replacingOccurrences(of: ".dat", with: ".labels.csv")),
                "\(noSidecar.stderr)")
        #expect(!line.contains("Foundation") && !line.contains("NSCocoaErrorDomain"))
    }
}
