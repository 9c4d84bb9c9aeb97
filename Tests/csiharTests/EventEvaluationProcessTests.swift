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
    /// `--head FILE` puts a few-shot head on every stream, through the daemon's calibration path: a head whose
    /// weights are zero and whose bias favours walk must give softmax(bias) for every window, and no fall; a head
    /// fitted for another model is a one-line error naming the file.
    @Test func aHeadFileIsUsedForEveryStream() throws {
        let model = "models/csihar-doppler-gru.safetensors", capture = "samples/fall-1khz-intel5300.dat"
        for path in [model, capture, "samples/living-room-intel5300.dat"]
        where !FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path) {
            print("SKIP: \(path) is missing"); return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-head-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fitted = directory + "/fitted.json", biased = directory + "/biased.json", events = directory + "/events.ndjson"
        guard let fit = try csihar(["calibrate", "head", "--model", model, "--capture", "samples/living-room-intel5300.dat",
                                    "-o", fitted]) else { return }
        #expect(fit.status == 0, "\(fit.stderr)")

        // The fitted file with its weights zeroed and a bias of 8 on walk: every window is softmax(bias).
        var head = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fitted))) as? [String: Any])
        let classes = try #require(head["classes"] as? [String])
        let walk = try #require(classes.firstIndex(of: "walk"))
        let weights = try #require(head["weight"] as? [Any]).count
        head["weight"] = [Double](repeating: 0, count: weights)
        var bias = [Double](repeating: 0, count: classes.count)
        bias[walk] = 8
        head["bias"] = bias
        try JSONSerialization.data(withJSONObject: head).write(to: URL(fileURLWithPath: biased))
        let expected = bias.map { exp($0) / bias.map(exp).reduce(0, +) }

        guard let run = try csihar(["evaluate", "--events", "--json", "--model", model, "--capture", capture,
                                    "--head", biased, "--events-out", events]) else { return }
        #expect(run.status == 0, "\(run.stderr)")
        var windows = 0, maxDifference = 0.0, falls = 0, walks = 0
        for line in try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n") {
            let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            switch event["type"] as? String {
            case "prediction":
                let probabilities = try #require(event["probabilities"] as? [String: Double])
                for (c, label) in classes.enumerated() {
                    maxDifference = max(maxDifference, abs((probabilities[label] ?? .nan) - expected[c]))
                }
                windows += 1
            case "fall.detected": falls += 1
            case "activity.started": walks += event["activity"] as? String == "walk" ? 1 : 0
            default: break
            }
        }
        print("evaluate --events --head: \(windows) windows, max |probability - softmax(bias)| = \(maxDifference)")
        #expect(windows > 20)
        #expect(maxDifference <= 1e-5)
        #expect(falls == 0 && walks >= 1)

        guard let other = try csihar(["evaluate", "--events", "--model", "models/ut-har-gru.safetensors",
                                      "--capture", capture, "--head", biased]) else { return }
        #expect(other.status != 0)
        let message = other.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(message.split(separator: "\n").count == 1 && message.contains(biased) && message.contains("model"),
                "\(other.stderr)")
    }
}
