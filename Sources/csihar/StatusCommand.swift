import ArgumentParser
import Foundation

/// `csihar status`: asks csihard for its status over the subscriber socket and prints it.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show csihard's streams, rates, drops and latency.")

    @Option(help: "csihard's subscriber socket.")
    var socket = "/run/csihard/events.sock"
    @Flag(help: "Print the status JSON unchanged.")
    var raw = false
    @Option(help: "Refresh every this many seconds until interrupted (0 = print once); on a terminal the screen is redrawn.")
    var watch: Double = 0

    func validate() throws {
        guard watch >= 0, watch.isFinite else { throw ValidationError("--watch must be >= 0 seconds") }
    }

    func run() throws {
        let connection: SubscriberConnection
        connection = try SubscriberConnection(path: socket)   // a runtime failure: exit 1, one line, no usage
        let terminal = isatty(STDOUT_FILENO) == 1
        repeat {
            let text = try status(from: connection)
            if watch > 0 && terminal && !raw { FileHandle.standardOutput.write(Data("\u{1b}[H\u{1b}[2J".utf8)) }
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
            if watch > 0 { Thread.sleep(forTimeInterval: watch) }
        } while watch > 0
    }

    /// Asks for one status reply on `connection` and returns it rendered (or raw).
    private func status(from connection: SubscriberConnection) throws -> String {
        try connection.send(line: "{\"request\":\"status\"}")
        // Events may arrive before the reply; skip them.
        while let line = connection.nextLine(timeout: 3) {
            guard line.hasPrefix("{\"type\":\"status\"") || line.contains("\"type\":\"status\"") else { continue }
            if raw { return line }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return line }
            return Self.render(object)
        }
        throw CommandFailure("no status reply from \(socket) within 3 s (is csihard still running?)")
    }

    static func render(_ status: [String: Any]) -> String {
        func number(_ key: String, _ object: [String: Any]) -> String {
            (object[key] as? Double).map { String(format: "%.2f", $0) } ?? "\(object[key] ?? "-")"
        }
        var lines = [
            "model:        \(status["model"] as? String ?? "none")",
            "frames:       \(status["frames"] ?? 0)   windows: \(status["windows"] ?? 0)   events: \(status["events"] ?? 0)",
            "subscribers:  \(status["subscribers"] ?? 0)   dropped lines: \(status["dropped_lines"] ?? 0)   record issues: \(status["record_issues"] ?? 0)",
            "latency:      p50 \(number("latency_p50_ms", status)) ms   p99 \(number("latency_p99_ms", status)) ms (frame to event)",
        ]
        let streams = status["streams"] as? [[String: Any]] ?? []
        lines.append("streams:      \(streams.count)")
        for stream in streams {
            lines.append("  \(stream["stream"] ?? "?")  \(number("frames_per_second", stream)) frames/s  "
                         + "\(number("windows_per_second", stream)) windows/s  lost \(stream["lost_frames"] ?? 0) frames  activity \(stream["activity"] as? String ?? "idle")  "
                         + "silent \(number("silent_seconds", stream)) s  \(calibration(stream["calibration"]))")
            lines.append("    model \(stream["model"] as? String ?? "none") (\(stream["route"] as? String ?? "routing"))  "
                         + "falls dropped: \(stream["falls_rejected"] ?? 0) recovered, \(stream["falls_suppressed"] ?? 0) already down")
        }
        return lines.joined(separator: "\n")
    }

    /// `calibrated: head + baseline (CREATED)` or `uncalibrated`.
    static func calibration(_ value: Any?) -> String {
        guard let object = value as? [String: Any] else { return "uncalibrated" }
        let parts = ["head", "baseline"].filter { object[$0] as? Bool == true }
        return "calibrated: \(parts.isEmpty ? "none" : parts.joined(separator: " + ")) (\(object["created"] as? String ?? "?"))"
    }
}
