import ArgumentParser
import CSIDaemon
import CSIInference

/// `csihar`: the command-line tool next to the daemon.
@main
struct CSIHARCommand: AsyncParsableCommand {
    /// Re-executes on a usable OpenBLAS kernel when needed (``BLASKernel``), then parses and runs.
    static func main() async {
        BLASKernel.reexecIfOnFallbackKernel()
        await main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "csihar",
        abstract: "WiFi CSI activity recognition: replay, inspect, simulate, predict, evaluate, plot, subscribe.",
        version: CSIHARVersion.string,
        subcommands: [
            ReplayCommand.self, InspectCommand.self,
            PredictCommand.self, BenchCommand.self, ModelsCommand.self,
            SimulateCommand.self, DatasetCommand.self, EvaluateCommand.self,
            SubscribeCommand.self, StatusCommand.self, CalibrateCommand.self, PlotCommand.self,
        ]
    )
}
