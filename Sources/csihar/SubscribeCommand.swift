import ArgumentParser
import CSIEvents
import Foundation

/// `csihar subscribe`: prints csihard's events, pretty or raw NDJSON.
struct SubscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Print the events csihard publishes (default: all types except prediction).")

    @Option(help: "csihard's subscriber socket.")
    var socket = "/run/csihard/events.sock"
    @Option(name: .customLong("types"), parsing: .upToNextOption,
            help: "Event types to receive, e.g. activity.started activity.ended fall.detected prediction state.")
    var types: [String] = []
    @Option(name: .customLong("stream"), help: "Only this stream key (repeatable), e.g. 'replay:x.dat|unknown'.")
    var streams: [String] = []
    @Flag(help: "Print the NDJSON lines unchanged.")
    var raw = false
    @Option(help: "Stop after this many events (0 = until the daemon stops).")
    var count = 0
    @Option(help: "Stop after this many seconds without an event (0 = never).")
    var idleTimeout: Double = 0

    @Flag(help: "When csihard goes away (restart, stop), reconnect with backoff (0.5 s doubling to 10 s); notices on stderr.")
    var reconnect = false

    func run() throws {
        let wanted = Set(types.flatMap { $0.split(separator: ",").map(String.init) })
        var received = 0
        var delay = 0.5
        var attempts = 0
        while true {
            let connection: SubscriberConnection
            do {
                connection = try SubscriberConnection(path: socket)   // a runtime failure: exit 1, one line, no usage
            } catch {
                guard reconnect else { throw error }
                Self.notice("\(error); retrying in \(delay) s")
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 10)
                continue
            }
            if attempts > 0 { Self.notice("connected to \(socket) again") }
            attempts += 1
            delay = 0.5
            if !types.isEmpty || !streams.isEmpty {
                var request: [String: Any] = [:]
                if !wanted.isEmpty { request["types"] = Array(wanted).sorted() }
                if !streams.isEmpty { request["streams"] = streams }
                try connection.send(line: try JSONLine.string(request))
            }
            var lastLine = DispatchTime.now().uptimeNanoseconds
            while let line = connection.nextLine(timeout: idleTimeout > 0 ? idleTimeout : nil) {
                lastLine = DispatchTime.now().uptimeNanoseconds
                // the daemon's greeting (`state`) is sent before it has read our filter: kept only if asked for
                if !wanted.isEmpty, !wanted.contains("state"), line.hasPrefix("{\"type\":\"state\"") { continue }
                // Unbuffered, line by line, so pipes see events as they happen.
                FileHandle.standardOutput.write(Data(((raw ? line : Self.pretty(line)) + "\n").utf8))
                if line.hasPrefix("{\"message\"") && line.contains("\"type\":\"error\"") { throw ExitCode(1) }
                received += 1
                if count > 0 && received >= count { return }
            }
            let silent = Double(DispatchTime.now().uptimeNanoseconds - lastLine) / 1e9
            if idleTimeout > 0 && silent >= idleTimeout * 0.99 { return }      // --idle-timeout, not a lost daemon
            guard reconnect else { return }
            Self.notice("\(socket) closed by csihard; reconnecting")
        }
    }

    /// One line on stderr, prefixed with the command.
    private static func notice(_ text: String) {
        FileHandle.standardError.write(Data("csihar subscribe: \(text)\n".utf8))
    }

    /// One human-readable line: wall clock, capture time, type, stream, details.
    static func pretty(_ line: String) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
              let type = object["type"] as? String else { return line }
        let wall = (object["wall_time"] as? String).map { String($0.dropFirst(11).prefix(12)) } ?? ""
        let time = (object["time"] as? Double).map { String(format: "%9.2f", $0) } ?? "        -"
        let stream = (object["stream"] as? String).map { " [\($0)]" } ?? ""
        let number = { (key: String) in (object[key] as? Double).map { String(format: "%.2f", $0) } ?? "-" }
        let details: String
        switch type {
        case "activity.started": details = "\(object["activity"] ?? "?") (confidence \(number("confidence")))"
        case "activity.ended":
            details = "\(object["activity"] ?? "?") after \(number("duration")) s (confidence \(number("confidence")))"
        case "fall.detected": details = "FALL (confidence \(number("confidence")))"
        case "prediction":
            let probabilities = (object["probabilities"] as? [String: Double]) ?? [:]
            details = probabilities.sorted { $0.value > $1.value }.prefix(3)
                .map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", ")
        case "stream.up": details = "\(object["device"] ?? "?") on \(object["source"] ?? "?")"
        case "stream.down": details = "reason \(object["reason"] ?? "?")"
        case "stream.error": details = "\(object["kind"] ?? "?"): \(object["message"] ?? "")"
        case "daemon.heartbeat":
            details = "frames \(object["frames"] ?? 0) windows \(object["windows"] ?? 0) streams \(object["streams"] ?? 0) "
                + "subscribers \(object["subscribers"] ?? 0) dropped \(object["dropped_lines"] ?? 0) "
                + "latency p50 \(number("latency_p50_ms")) ms p99 \(number("latency_p99_ms")) ms"
        case "subscriber.gap": details = "\(object["dropped"] ?? 0) events dropped (reading too slowly)"
        case "state":
            let streams = (object["streams"] as? [[String: Any]]) ?? []
            details = streams.isEmpty ? "no stream up" : streams.map { entry in
                let activity = (entry["activity"] as? String).map { "in \($0)" } ?? "idle"
                return "\(entry["stream"] ?? "?") (\(entry["device"] ?? "?")) \(activity)"
            }.joined(separator: "; ")
        case "error": details = "\(object["message"] ?? "")"
        default: details = line
        }
        return "\(wall) t=\(time) \(type.padding(toLength: 17, withPad: " ", startingAt: 0)) \(details)\(stream)"
    }
}
