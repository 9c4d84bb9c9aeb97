import CSIDaemon
import CSISimulator
import Foundation
import Testing

/// `csihar calibrate` against the real csihard: a head fitted from a labelled simulated capture, installed on a
/// replayed stream, an empty-room baseline, `status`, an unknown stream, and a reset.
@Suite(.serialized) struct CalibrationProcessTests {
    @Test func calibrateThroughTheDaemon() throws {
        guard DaemonProcess.available("calibrateThroughTheDaemon"), let daemon = DaemonProcess.executable else { return }
        let csihar = daemon.deletingLastPathComponent().appendingPathComponent("csihar")
        guard FileManager.default.isExecutableFile(atPath: csihar.path) else {
            print("SKIPPED calibrateThroughTheDaemon: no csihar next to csihard")
            return
        }
        let started = Date()
        let directory = temporaryStateDirectory("process")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = CalibrationHarness.modelPath
        func simulate(_ script: String, _ name: String, seed: UInt64) throws -> String {
            let path = directory + "/" + name
            _ = try Simulator(config: SimulationConfig(device: .intel5300, seed: seed, rateHz: 500),
                              script: try ActivityScript(parsing: script)).write(to: path)
            return path
        }
        let room = try simulate("idle 3s, walk 4s, sit down 3s, idle 2s", "room.dat", seed: 11)
        let idle = try simulate("idle 24s", "idle.dat", seed: 12)
        let head = directory + "/head.json"
        let fitted = try runProcess(csihar, ["calibrate", "head", "--model", model, "--capture", room, "-o", head])
        print("calibrate head: \(fitted.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(fitted.status == 0)
        // The room showed idle, walk and sit down only: the others are named as kept from the model.
        let note = fitted.output.split(separator: "\n").first { $0.hasPrefix("note: no calibration windows of") } ?? ""
        #expect(["fall", "run", "lie down"].allSatisfy { note.contains($0) } && !note.contains("walk"), "\(fitted.output)")

        let socket = temporarySocketPath("calibrate")
        let process = try DaemonProcess(arguments: ["--source", "replay:" + idle, "--speed", "2", "--socket", socket,
                                                    "--model", model, "--state-dir", directory + "/state"])
        defer { _ = process.terminate() }
        #expect(waitForSocket(socket))
        var key: String?
        for _ in 0..<100 where key == nil {
            let status = try runProcess(csihar, ["status", "--socket", socket, "--raw"])
            key = ((object(status.output)["streams"] as? [[String: Any]])?.first?["stream"]) as? String
            if key == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let stream = try #require(key)
        let install = try runProcess(csihar, ["calibrate", "install", "--socket", socket, "--stream", stream, head])
        print("calibrate install: \(install.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(install.status == 0 && install.output.contains("head installed"))
        let baseline = try runProcess(csihar, ["calibrate", "baseline", "--socket", socket, "--stream", stream, "--seconds", "5"])
        print("calibrate baseline: \(baseline.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(baseline.status == 0 && baseline.output.contains("baseline stored"))
        Thread.sleep(forTimeInterval: 0.6)     // status is refreshed every 0.5 s
        let status = try runProcess(csihar, ["status", "--socket", socket, "--raw"])
        let calibration = ((object(status.output)["streams"] as? [[String: Any]])?.first?["calibration"]) as? [String: Any]
        print("status calibration: \(calibration ?? [:])")
        #expect(calibration?["head"] as? Bool == true && calibration?["baseline"] as? Bool == true)
        let unknown = try runProcess(csihar, ["calibrate", "reset", "--socket", socket, "--stream", "replay:nope|unknown"])
        print("unknown stream: \(unknown.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(unknown.status != 0 && unknown.output.contains("unknown stream"))
        // A refusal is a run-time failure: one Error line, not the usage text of a wrong option.
        #expect(!unknown.output.contains("Usage:") && unknown.output.split(separator: "\n").count == 1, "\(unknown.output)")
        let file = CalibrationStore(stateDirectory: directory + "/state").path(for: stream)
        #expect(FileManager.default.fileExists(atPath: file))
        let reset = try runProcess(csihar, ["calibrate", "reset", "--socket", socket, "--stream", stream])
        print("calibrate reset: \(reset.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(reset.status == 0 && reset.output.contains("removed"))
        #expect(!FileManager.default.fileExists(atPath: file))
        print("calibration process test: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
