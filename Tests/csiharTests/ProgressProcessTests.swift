import CSITestSupport
import Foundation
import Testing

/// `csihar simulate --count`: the progress line shows on a terminal (a pseudo-terminal from script(1)) and ends at
/// N/N; with stdout and stderr not terminals, stdout holds only the recordings' lines and stderr nothing.
@Suite struct ProgressProcessTests {
    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("progress-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func simulateCountIsQuietWhenNotATerminal() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard let result = try runCsihar(["simulate", "--count", "3", "--random", "1", "--rate", "100", "--output-dir", directory]) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "progress written to a non-terminal stderr in a short run: \(result.stderr.debugDescription)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines.allSatisfy { $0.hasPrefix(directory + "/sim-") }, "\(result.stdout.debugDescription)")
    }

    @Test func simulateCountShowsProgressOnATerminal() throws {
        let script = "/usr/bin/script"
        let binary = SharedData.repositoryRoot().appendingPathComponent(".build/debug/csihar").path
        guard FileManager.default.isExecutableFile(atPath: script), FileManager.default.isExecutableFile(atPath: binary) else {
            print("SKIP: script(1) or .build/debug/csihar is missing")
            return
        }
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let command = "\(binary) simulate --count 3 --random 1 --rate 100 --output-dir \(directory)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = ["-qec", command, "/dev/null"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("\r\u{1B}[Ksimulate: 0/3 recordings (0%)"), "\(output.debugDescription)")
        #expect(output.contains("\r\u{1B}[Ksimulate: 3/3 recordings (100%)"), "\(output.debugDescription)")
        // Each recording's line starts on a cleared line, not after the progress text.
        #expect(output.components(separatedBy: "\r\u{1B}[K" + directory + "/sim-").count == 4, "\(output.debugDescription)")
    }
}
