import ArgumentParser
import Foundation

/// `csihar calibrate reset`: removes a stream's calibration (or a part) in csihard (`calibration.reset`).
struct CalibrateResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset", abstract: "Return one of csihard's streams to the model's defaults.")

    @OptionGroup var target: CalibrationTargetOptions
    @Option(help: "head, baseline or all.")
    var part = "all"

    func validate() throws {
        guard ["head", "baseline", "all"].contains(part) else { throw ValidationError("--part must be head, baseline or all") }
    }

    func run() throws {
        let reply = try target.send("calibration.reset", fields: ",\"part\":\"\(part)\"", timeout: 10)
        if target.raw { print(reply.line); return }
        let removed = reply.object["removed"] as? Bool == true
        print("\(target.stream): \(part) \(removed ? "removed" : "was not calibrated"); "
              + "head \(reply.object["head"] as? Bool == true ? "kept" : "none"), baseline \(reply.object["baseline"] as? Bool == true ? "kept" : "none")")
    }
}
