import ArgumentParser
import Foundation

/// `csihar calibrate reset`: removes a stream's calibration (or a part) in csihard (`calibration.reset`).
struct CalibrateResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset", abstract: "Return one of csihard's streams to the model's defaults.")

    @Option(help: "csihard's subscriber socket.")
    var socket = "/run/csihard/events.sock"
    @Option(help: "Stream key (as `csihar status` shows it).")
    var stream: String
    @Option(help: "head, baseline or all.")
    var part = "all"
    @Flag(help: "Print the reply JSON unchanged.")
    var raw = false

    func validate() throws {
        guard ["head", "baseline", "all"].contains(part) else { throw ValidationError("--part must be head, baseline or all") }
    }

    func run() throws {
        let line = "{\"request\":\"calibration.reset\",\"stream\":\(CalibrateCommand.quoted(stream)),\"part\":\"\(part)\"}"
        let reply = try CalibrateCommand.exchange(socket: socket, request: line, timeout: 10)
        if raw { print(reply.line); return }
        let removed = reply.object["removed"] as? Bool == true
        print("\(stream): \(part) \(removed ? "removed" : "was not calibrated"); "
              + "head \(reply.object["head"] as? Bool == true ? "kept" : "none"), baseline \(reply.object["baseline"] as? Bool == true ? "kept" : "none")")
    }
}
