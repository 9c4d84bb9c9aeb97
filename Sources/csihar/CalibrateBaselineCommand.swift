import ArgumentParser
import Foundation

/// `csihar calibrate baseline`: has csihard record one stream's empty room (`calibration.baseline`).
struct CalibrateBaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Record an empty-room baseline on one of csihard's streams (leave the room during it).")

    @Option(help: "csihard's subscriber socket.")
    var socket = "/run/csihard/events.sock"
    @Option(help: "Stream key (as `csihar status` shows it).")
    var stream: String
    @Option(help: "Seconds of windows to record (5...600).")
    var seconds: Double = 20
    @Flag(help: "Print the reply JSON unchanged.")
    var raw = false

    func validate() throws {
        guard (5...600).contains(seconds) else { throw ValidationError("--seconds must be within 5...600") }
    }

    func run() throws {
        let line = "{\"request\":\"calibration.baseline\",\"stream\":\(CalibrateCommand.quoted(stream)),\"seconds\":\(seconds)}"
        let reply = try CalibrateCommand.exchange(socket: socket, request: line, timeout: seconds * 3 + 30) { _ in
            if !raw { print("recording \(seconds) s of the empty room on \(stream)...") }
        }
        if raw { print(reply.line); return }
        let o = reply.object
        func number(_ key: String) -> Double { (o[key] as? NSNumber)?.doubleValue ?? .nan }
        print(String(format: "%@: baseline stored (%.1f s, %d windows; idle %.2f on average; idle motion threshold %.4g)",
                     stream, number("seconds"), Int(number("windows")), number("idle_mean"), number("idle_motion_energy")))
        if o["offsets_applied"] as? Bool == true {
            print("feature offsets applied (room noise floor aligned with the model's idle reference)")
        } else if let note = o["note"] as? String {
            print(note)
        }
    }
}
