import ArgumentParser
import CSIEvents
import CSIInference
import Foundation

/// `csihar calibrate install`: sends a head file to csihard for one stream (`calibration.install`).
struct CalibrateInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Make one of csihard's streams use a calibrated head (from `calibrate head`).")

    @OptionGroup var target: CalibrationTargetOptions
    @Argument(help: "Head file (HeadCalibration JSON).")
    var head: String

    func run() throws {
        let calibration: HeadCalibration
        calibration = try HeadCalibration.load(path: head)   // a runtime failure: exit 1, one line naming the file
        let object = try JSONLine.data(calibration.jsonObject)
        let reply = try target.send("calibration.install", fields: ",\"head\":" + String(decoding: object, as: UTF8.self),
                                    timeout: 10)
        if target.raw { print(reply.line); return }
        print("\(target.stream): head installed (\(calibration.windows) calibration windows), stored in \(reply.object["file"] ?? "?")")
    }
}
