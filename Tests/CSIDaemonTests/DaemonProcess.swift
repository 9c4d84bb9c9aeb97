import CSIDaemon
import Foundation

/// The built `csihard` executable run as a child process (the real daemon, as systemd or a user starts it).
final class DaemonProcess {
    /// The executable next to the test bundle (`swift build --build-tests` builds it), or `nil` with a reason.
    static let executable: URL? = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("csihard"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("csihard"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/csihard").standardized,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Prints why a test is skipped when the executable is missing; true when it can run.
    static func available(_ test: String) -> Bool {
        if executable != nil { return true }
        print("SKIPPED \(test): the csihard executable was not found next to the tests (run `swift build --build-tests`)")
        return false
    }

    let process = Process()
    /// stderr of the daemon (its log), read after it exits.
    let logPath: String

    /// Starts `executable arguments` (or `launcher` followed by the executable and its arguments) in
    /// `workingDirectory` with `environment` added to a minimal one.
    init(arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
         launcher: [String] = []) throws {
        guard let executable = Self.executable else { throw POSIXError(.ENOENT) }
        if let tool = launcher.first {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = Array(launcher.dropFirst()) + [executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        var base = ["PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"]
        // Under `make sanitize` the instrumented daemon gets the tests' sanitizer options (suppressions included).
        for key in ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"] {
            if let value = ProcessInfo.processInfo.environment[key] { base[key] = value }
        }
        base.merge(environment) { $1 }
        process.environment = base
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory ?? FileManager.default.temporaryDirectory.path)
        logPath = temporarySocketPath("daemon-log") + ".log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// The process id.
    var pid: Int32 { process.processIdentifier }

    /// Sends `signal`.
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits up to `seconds` for exit; returns the exit status and the seconds waited, or nil (still running).
    func waitForExit(seconds: Double) -> (status: Int32, seconds: Double)? {
        let start = Date()
        while process.isRunning {
            if Date().timeIntervalSince(start) > seconds { return nil }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    /// SIGTERM, then the exit status and seconds to exit (SIGKILL after `limit` seconds; status nil then).
    func terminate(limit: Double = 5) -> (status: Int32?, seconds: Double) {
        let start = Date()
        send(SIGTERM)
        if let exit = waitForExit(seconds: limit) { return (exit.status, exit.seconds) }
        send(SIGKILL)
        _ = waitForExit(seconds: 5)
        return (nil, Date().timeIntervalSince(start))
    }

    /// The daemon's log so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        unlink(logPath)
    }
}

/// The repository root (for samples/ and systemd/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

/// Waits until `path` accepts connections (up to `seconds`).
func waitForSocket(_ path: String, seconds: Double = 10) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if SocketPath.probe(path) == 0 { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return false
}
