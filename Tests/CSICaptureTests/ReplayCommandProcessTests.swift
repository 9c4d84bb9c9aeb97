import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// `csihar replay` and `csihar inspect` as whole processes (the debug binary that `swift build --build-tests`
/// builds next to the tests). Skipped with a message when the binary is not there.
struct ReplayCommandProcessTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    /// The csihar binary of this build, or `nil` (with a printed skip message).
    static func binary() -> URL? {
        let root = SharedData.repositoryRoot()
        for configuration in ["debug", "release"] {
            let url = root.appendingPathComponent(".build/\(configuration)/csihar")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        print("SKIP: .build/debug/csihar is not built; run `swift build --build-tests` first")
        return nil
    }

    static func run(_ arguments: [String]) throws -> Run? {
        guard let binary = binary() else { return nil }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let started = Date()
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        nonisolated(unsafe) var errData = Data()
        var outData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self), seconds: Date().timeIntervalSince(started))
    }

    @Test func replayPrintsOneValidObjectPerFrame() throws {
        guard let url = SharedData.file("captures/intel5300/log.all_csi.6.7.6.dat"),
              let run = try Self.run(["replay", "--speed", "max", url.path]) else { return }
        #expect(run.status == 0 && run.stderr.isEmpty)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 29)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let csi = try #require(object["csi"] as? [String: [Double]])
            let count = (object["ntx"] as? Int ?? 0) * (object["nrx"] as? Int ?? 0) * (object["nsub"] as? Int ?? 0)
            #expect(csi["re"]?.count == count && csi["im"]?.count == count && object["sequence"] != nil)
        }
        guard let scaledRun = try Self.run(["replay", "--speed", "max", "--scaled", url.path]) else { return }
        let first = try #require(try JSONSerialization.jsonObject(with: Data(scaledRun.stdout.split(separator: "\n")[0].utf8)) as? [String: Any])
        let csi = try #require(first["csi"] as? [String: [Double]])
        // Spec test vector, antenna C of subcarrier 0 scaled: -2.8828 + 8.0718j (element (tx 0, rx 2, sc 0) = 60).
        #expect(abs((csi["re"]?[60] ?? 0) - -2.8828) < 1e-4 && abs((csi["im"]?[60] ?? 0) - 8.0718) < 1e-4)
    }

    @Test func replayPacesByCaptureTime() throws {
        // Three frames 0.3 s apart in capture time: real time takes at least 0.6 s, --speed 4 at least 0.15 s.
        let bytes = [0, 300_000, 600_000].enumerated().flatMap {
            Intel5300RecordBuilder.record(timestampLow: UInt32($0.element), bfeeCount: UInt16($0.offset))
        }
        let path = try TemporaryFile.write(bytes, name: "paced.dat")
        guard let realTime = try Self.run(["replay", path]), let fast = try Self.run(["replay", "--speed", "4", path]),
              let max = try Self.run(["replay", "--speed", "max", path]) else { return }
        print("replay pacing: speed 1 took \(realTime.seconds) s, speed 4 \(fast.seconds) s, max \(max.seconds) s")
        #expect(realTime.status == 0 && realTime.stdout.split(separator: "\n").count == 3)
        #expect(realTime.seconds >= 0.6 && fast.seconds >= 0.15)
        #expect(fast.stdout == realTime.stdout && max.stdout == realTime.stdout)
    }

    @Test func errorsGoToStderrWithFileAndOffset() throws {
        guard let missing = try Self.run(["replay", "--speed", "max", "/nonexistent/capture.dat"]) else { return }
        #expect(missing.status != 0 && missing.stdout.isEmpty && missing.stderr.contains("/nonexistent/capture.dat"))
        guard let url = SharedData.file("captures/esp32/example_100hz_pitraffic.csv"),
              let esp = try Self.run(["replay", "--speed", "max", url.path]) else { return }
        #expect(esp.status == 0 && esp.stdout.split(separator: "\n").count == 833)
        #expect(esp.stderr.contains("offset 8371") && esp.stderr.contains("truncated=1"))
        guard let bad = try Self.run(["replay", "--speed", "fast", url.path]) else { return }
        #expect(bad.status != 0 && bad.stderr.contains("--speed"))
    }

    @Test func inspectJSONReportsFramesAndErrors() throws {
        guard let url = SharedData.file("captures/intel5300/malformed_zero_frames.dat"),
              let run = try Self.run(["inspect", "--json", url.path]) else { return }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["frames"] as? Int == 24 && object["format"] as? String == "intel5300")
        #expect((object["errors"] as? [String: Int]) == ["bad-length": 1] && object["skipped_bytes"] as? Int == 1185)
        guard let nexmon = SharedData.file("captures/nexmon/example_4339.pcap"),
              let text = try Self.run(["inspect", nexmon.path]) else { return }
        #expect(text.stdout.contains("frames:       2850") && text.stdout.contains("80 MHz: 2850"))
    }
}
