import CSICapture
@testable import CSIDaemon
import CSIEvents
import CSIInference
import Foundation
import Testing

/// Per-stream calibration in the pipeline (docs/calibration.md, "In the daemon"), with the default model on
/// simulated rooms: empty-room baselines, few-shot heads, their files, reload and reset.
@Suite(.serialized) struct CalibrationTests {
    @Test func baselineIsAcceptedOnAnEmptyRoomAndRejectedWhileSomeoneWalks() throws {
        let directory = temporaryStateDirectory("baseline")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = try CalibrationHarness(stateDirectory: directory)
        let idle = try CalibrationHarness.frames("idle 30s")
        let key = CalibrationHarness.key(1)
        harness.feed(idle[0..<2500], macs: [1])
        let replies = ReplyBox()
        harness.pipeline.calibrate(.baseline(stream: key, seconds: 15), reply: replies.reply)
        #expect(replies.last["status"] as? String == "recording")
        harness.feed(idle[2500...], macs: [1])
        let stored = replies.last
        print("baseline on idle: \(replies.lines.last ?? "none")")
        #expect(stored["type"] as? String == "calibration" && stored["status"] as? String == "baseline")
        #expect((stored["seconds"] as? Double ?? 0) >= 15)
        #expect(stored["offsets_applied"] as? Bool == (harness.classifier.idleReference != nil))
        let path = CalibrationStore(stateDirectory: directory).path(for: key)
        let file = try #require(FileManager.default.contents(atPath: path))
        let stream = try #require(harness.pipeline.streams[key])
        let threshold = try #require(stream.calibration?.baseline?.idleMotionEnergy)
        #expect(stream.smoother.config.idleMotionEnergy == threshold)

        // Someone walks during the next one: rejected, the stored baseline stays (file and stream).
        let walking = try CalibrationHarness.frames("walk 20s", seed: 8)
        let shift = idle.last!.timestamp + 0.002 - walking[0].timestamp
        let walk = walking.map { frame -> CSIFrame in
            var copy = frame
            copy.timestamp += shift
            return copy
        }
        let rejected = ReplyBox()
        harness.pipeline.calibrate(.baseline(stream: key, seconds: 10), reply: rejected.reply)
        harness.feed(walk[...], macs: [1])
        print("baseline while walking: \(rejected.lines.last ?? "none")")
        #expect(rejected.last["type"] as? String == "error")
        #expect((rejected.last["message"] as? String ?? "").contains("someone moved"))
        #expect(FileManager.default.contents(atPath: path) == file)
        #expect(harness.pipeline.streams[key]?.calibration?.baseline?.idleMotionEnergy == threshold)
    }

    @Test func headChangesOnlyItsStreamSurvivesARestartAndResetRestoresTheModel() throws {
        let directory = temporaryStateDirectory("head")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let frames = try CalibrationHarness.frames("idle 4s, walk 4s, sit down 4s")
        let (a, b) = (CalibrationHarness.key(1), CalibrationHarness.key(2))
        let reference = try CalibrationHarness(stateDirectory: nil)
        let calibrated = try CalibrationHarness(stateDirectory: directory)
        reference.feed(frames[...], macs: [1, 2])
        calibrated.feed(frames[0..<2000], macs: [1, 2])
        let replies = ReplyBox()
        calibrated.pipeline.calibrate(.install(stream: a, head: try calibrated.alteredHead()), reply: replies.reply)
        print("install: \(replies.lines.last ?? "none")")
        #expect(replies.last["status"] as? String == "installed")
        let installedAt = frames[1999].timestamp
        calibrated.feed(frames[2000...], macs: [1, 2])
        let (other, otherRows) = CalibrationHarness.maxDifference(calibrated.predictions(b), reference.predictions(b))
        let (own, ownRows) = CalibrationHarness.maxDifference(calibrated.predictions(a), reference.predictions(a), from: installedAt)
        print("head install: other stream maxdiff \(other) over \(otherRows) windows; calibrated stream maxdiff \(own) over \(ownRows) windows")
        #expect(otherRows > 20 && other == 0)
        #expect(ownRows > 20 && own > 0.05)

        // A new pipeline on the same state directory (a restart) loads it when the stream comes up.
        let restarted = try CalibrationHarness(stateDirectory: directory)
        restarted.feed(frames[0..<3000], macs: [1, 2])
        #expect(restarted.pipeline.streams[a]?.calibration?.head != nil)
        #expect(restarted.pipeline.streams[b]?.calibration == nil)
        #expect(restarted.calibrationErrors.isEmpty)
        let (afterRestart, _) = CalibrationHarness.maxDifference(restarted.predictions(a), reference.predictions(a))
        let (sameAsInstalled, rows) = CalibrationHarness.maxDifference(restarted.predictions(a), calibrated.predictions(a), from: installedAt)
        print("after restart: vs model maxdiff \(afterRestart); vs the installed head's run maxdiff \(sameAsInstalled) over \(rows) windows")
        #expect(afterRestart > 0.05)
        #expect(rows >= 5 && sameAsInstalled <= 1e-6)

        // Reset: the model's exact probabilities again, file gone.
        let reset = ReplyBox()
        restarted.pipeline.calibrate(.reset(stream: a, part: .head), reply: reset.reply)
        print("reset: \(reset.lines.last ?? "none")")
        #expect(reset.last["status"] as? String == "reset" && reset.last["removed"] as? Bool == true)
        let resetAt = frames[2999].timestamp
        restarted.feed(frames[3000...], macs: [1, 2])
        let (afterReset, resetRows) = CalibrationHarness.maxDifference(restarted.predictions(a), reference.predictions(a), from: resetAt)
        print("after reset: maxdiff \(afterReset) over \(resetRows) windows")
        #expect(resetRows > 10 && afterReset == 0)
        #expect(!FileManager.default.fileExists(atPath: CalibrationStore(stateDirectory: directory).path(for: a)))
    }

    @Test func corruptOrForeignFilesAreReportedAndIgnored() throws {
        let directory = temporaryStateDirectory("corrupt")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = CalibrationStore(stateDirectory: directory)
        let (a, b) = (CalibrationHarness.key(1), CalibrationHarness.key(2))
        let probe = try CalibrationHarness(stateDirectory: directory)
        // b: a valid file, but for another model file (digest).
        var foreign = StreamCalibration(stream: b, model: probe.classifier.model.config.name,
                                        modelSHA256: String(repeating: "0", count: 64), head: try probe.alteredHead())
        foreign.head?.modelSHA256 = foreign.modelSHA256
        try store.save(foreign)
        try Data("{\"format\":1,\"stream\":".utf8).write(to: URL(fileURLWithPath: store.path(for: a)))
        let frames = try CalibrationHarness.frames("walk 6s")
        let reference = try CalibrationHarness(stateDirectory: nil)
        reference.feed(frames[...], macs: [1, 2])
        probe.feed(frames[...], macs: [1, 2])
        for error in probe.calibrationErrors { print("stream.error calibration: \(error.stream ?? "-"): \(error.message)") }
        let errors = probe.calibrationErrors
        #expect(errors.count == 2)
        #expect(errors.contains { $0.stream == a && $0.message.contains(store.path(for: a)) && $0.message.contains("corrupt") })
        #expect(errors.contains { $0.stream == b && $0.message.contains("model_sha256") })
        let (difference, rows) = CalibrationHarness.maxDifference(probe.predictions(a) + probe.predictions(b),
                                                                   reference.predictions(a) + reference.predictions(b))
        print("ignored files: maxdiff vs the uncalibrated model \(difference) over \(rows) windows")
        #expect(rows > 20 && difference == 0)
        #expect(probe.pipeline.streamSnapshots().allSatisfy { $0.calibration == nil })
    }

    @Test func requestsNameTheProblem() throws {
        func error(_ line: String) -> String {
            guard let reply = SubscriberRequestCheck.errorReply(to: Array(line.utf8)) else { return "" }
            return object(String(decoding: reply, as: UTF8.self))["message"] as? String ?? ""
        }
        #expect(error(#"{"request":"calibration.baseline","stream":"x","seconds":2}"#).contains("seconds must be within 5...600"))
        #expect(error(#"{"request":"calibration.baseline","seconds":20}"#).contains("stream must be a non-empty string"))
        #expect(error(#"{"request":"calibration.reset","stream":"x","part":"everything"}"#).contains("part must be"))
        #expect(error(#"{"request":"calibration.install","stream":"x","head":{"format":1}}"#).contains("head: model: is missing"))
        #expect(error(#"{"request":"calibration.install","stream":"x"}"#).contains("head is missing"))
        #expect(error(#"{"request":"calibration.reset","stream":"x","colour":1}"#).contains("unknown key \"colour\""))
        #expect(error(#"{"request":"calibration.reset","stream":"x"}"#).isEmpty)
        #expect(CalibrationStore.fileName(for: "pcap:wlan0|00:11:22:33:44:55/core0/ss1")
                == "pcap%3Awlan0%7C00%3A11%3A22%3A33%3A44%3A55%2Fcore0%2Fss1.json")
        #expect(CalibrationStore.fileName(for: "..") == "%2E..json")
        #expect(CalibrationStore.fileName(for: String(repeating: "é", count: 200)).utf8.count <= 210)
        #expect(CalibrationStore.resolveStateDirectory(configured: "/x", environment: ["STATE_DIRECTORY": "/var/lib/csihard:/b"]) == "/var/lib/csihard")
        #expect(CalibrationStore.resolveStateDirectory(configured: "/x", environment: [:]) == "/x")
        #expect(CalibrationStore.resolveStateDirectory(configured: nil, environment: [:], isRoot: false) == "./.csihard-state")

        // Unknown stream, and a head for another model: error replies, nothing stored.
        let directory = temporaryStateDirectory("requests")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = try CalibrationHarness(stateDirectory: directory)
        harness.feed(try CalibrationHarness.frames("idle 4s")[...], macs: [1])
        let replies = ReplyBox()
        harness.pipeline.calibrate(.reset(stream: "nope", part: .head), reply: replies.reply)
        #expect((replies.last["message"] as? String ?? "").contains("unknown stream \"nope\""))
        var head = try harness.alteredHead()
        head.modelSHA256 = String(repeating: "a", count: 64)
        harness.pipeline.calibrate(.install(stream: CalibrationHarness.key(1), head: head), reply: replies.reply)
        print("foreign head: \(replies.lines.last ?? "")")
        #expect((replies.last["message"] as? String ?? "").contains("model_sha256"))
        #expect(harness.pipeline.streams[CalibrationHarness.key(1)]?.calibration == nil)
    }
}

