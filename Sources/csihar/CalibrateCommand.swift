import ArgumentParser
import Foundation

/// `csihar calibrate`: per-stream calibration of csihard in a new room (docs/calibration.md).
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Calibrate csihard's streams for a new room: few-shot head, empty-room baseline, reset.",
        discussion: """
            csihar calibrate head --model M --capture room.dat -o head.json     # fit a head from a labelled capture
            csihar calibrate install --stream KEY head.json                     # send it to csihard for one stream
            csihar calibrate baseline --stream KEY --seconds 20                 # record the empty room
            csihar calibrate reset --stream KEY [--part head|baseline|all]      # back to the model's defaults
            Stream keys are those of `csihar status`. csihard keeps the calibration in its state directory.
            """,
        subcommands: [CalibrateHeadCommand.self, CalibrateInstallCommand.self, CalibrateBaselineCommand.self,
                      CalibrateResetCommand.self])
}
