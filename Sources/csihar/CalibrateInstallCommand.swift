import ArgumentParser
import CSIInference
import Foundation

/// `csihar calibrate install`: sends a head file to csihard for one stream (`calibration.install`).
struct CalibrateInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Make one of csihard's streams use a calibrated head (from `calibrate head`).")

    @Option(help: "csihard's subscriber socket.")
    var socket = "/run/csihard/events.sock"
    @Option(help: "Stream key (as `csihar status` shows it).")
    var stream: String
    @Flag(help: "Print the reply JSON unchanged.")
    var raw = false
    @Argument(help: "Head file (HeadCalibration JSON).")
    var head: String

    func run() throws {
        let calibration: HeadCalibration
        do { calibration = try HeadCalibration.load(path: head) } catch { throw ValidationError("\(error)") }
        let object = try JSONSerialization.data(withJSONObject: calibration.jsonObject, options: [.sortedKeys])
        // "request" first: csihard allows a long line only to a calibration.install request.
        let line = "{\"request\":\"calibration.install\",\"stream\":\(CalibrateCommand.quoted(stream)),\"head\":"
            + String(decoding: object, as: UTF8.self) + "}"
        let reply = try CalibrateCommand.exchange(socket: socket, request: line, timeout: 10)
        if raw { print(reply.line); return }
        print("\(stream): head installed (\(calibration.windows) calibration windows), stored in \(reply.object["file"] ?? "?")")
    }
}
