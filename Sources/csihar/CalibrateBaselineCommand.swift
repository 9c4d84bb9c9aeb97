import ArgumentParser
import Foundation

/// `csihar calibrate baseline`: has csihard record one stream's empty room (`calibration.baseline`).
struct CalibrateBaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Record an empty-room baseline on one of csihard's streams (leave the room during it).")

    @OptionGroup var target: CalibrationTargetOptions
    @Option(help: "Seconds of windows to record (5...600).")
    var seconds: Double = 20

    func validate() throws {
        guard (5...600).contains(seconds) else { throw ValidationError("--seconds must be within 5...600") }
    }

    func run() throws {
        let reply = try target.send("calibration.baseline", fields: ",\"seconds\":\(seconds)", timeout: seconds * 3 + 30) { _ in
            if !target.raw { print("recording \(seconds) s of the empty room on \(target.stream)...") }
        }
        if target.raw { print(reply.line); return }
        let o = reply.object
        func number(_ key: String) -> Double { (o[key] as? NSNumber)?.doubleValue ?? .nan }
        print(String(format: "%@: baseline stored (%.1f s, %d windows; idle %.2f on average; idle motion threshold %.4g)",
                     target.stream, number("seconds"), Int(number("windows")), number("idle_mean"), number("idle_motion_energy")))
        if o["offsets_applied"] as? Bool == true {
            print("feature offsets applied (room noise floor aligned with the model's idle reference)")
        } else if let note = o["note"] as? String {
            print(note)
        }
    }
}
