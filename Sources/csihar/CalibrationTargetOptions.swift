import ArgumentParser

/// The options every `csihar calibrate` request shares: which daemon, which stream, and how to print the reply.
struct CalibrationTargetOptions: ParsableArguments {
    @Option(help: "csihard's subscriber socket.")
    var socket = "/run/csihard/events.sock"
    @Option(help: "Stream key (as `csihar status` shows it).")
    var stream: String
    @Flag(help: "Print the reply JSON unchanged.")
    var raw = false

    /// Sends `{"request":REQUEST,"stream":STREAM<fields>}` (`fields` is `,"key":value...` or empty) and returns the
    /// final reply (``CalibrateCommand/exchange(socket:request:timeout:progress:)``).
    func send(_ request: String, fields: String = "", timeout: Double,
              progress: ([String: Any]) -> Void = { _ in }) throws -> (line: String, object: [String: Any]) {
        // "request" first: csihard allows a long line only to a calibration.install request.
        let line = "{\"request\":\"\(request)\",\"stream\":\(CalibrateCommand.quoted(stream))\(fields)}"
        return try CalibrateCommand.exchange(socket: socket, request: line, timeout: timeout, progress: progress)
    }
}
