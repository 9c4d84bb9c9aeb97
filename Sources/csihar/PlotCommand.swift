import ArgumentParser
import CSICapture
import CSIDaemon
import Foundation

/// `csihar plot`: one picture of a capture (``CapturePlot``): CSI amplitude per receive chain, the label sidecar,
/// the model's window probabilities and the events csihard would publish, as SVG, or PNG through `rsvg-convert`
/// (Debian `librsvg2-bin`).
struct PlotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a capture: CSI amplitude per chain, labels, the model's probabilities and the daemon's events.",
        discussion: """
            Examples:
              csihar plot samples/living-room-intel5300.dat -o living-room.svg
              csihar plot samples/office-nexmon4366c0.pcap --model models/csihar-2ch-doppler-gru.safetensors -o office.png
            The capture goes through csihard's own path, as for `csihar evaluate --events`: its reader, stream
            grouping, the model its [[route]] rules give the first stream (or --model, or the --config file's
            model.path), windows and smoother (default settings or --config). Panels, top to bottom: |H| in dB of
            the 30 layout subcarriers of each receive chain (transmit stream 0, averaged into at most --max-columns
            time columns); the label sidecar (--labels, default <capture without extension>.labels.csv when it
            exists); the model's class probabilities per window, stacked, at the window centres; the activities
            (activity.started start_time to activity.ended) and falls (fall.detected at its fall_time) csihard
            would publish. Times are seconds from the capture's first frame. Only the capture's first stream is
            drawn. -o FILE.svg writes SVG; -o FILE.png converts it with rsvg-convert (Debian package librsvg2-bin).
            """)

    @Argument(help: "Capture file (any format csihar reads).")
    var capture: String

    @Option(help: "Label sidecar (start,end,activity; default <capture without extension>.labels.csv when it exists).")
    var labels: String?

    @Option(help: "Model file (default: the model csihard's routes give the capture).")
    var model: String?

    @Option(help: "csihard config file whose [pipeline], [smoother], [[route]] and model.path apply.")
    var config: String?

    @Option(name: .shortAndLong, help: "Output file: .svg, or .png (needs rsvg-convert).")
    var output: String

    @Option(help: "Time columns of the amplitude heatmaps at most.")
    var maxColumns: Int = 600

    /// The output format, from the extension.
    private var isPNG: Bool { output.lowercased().hasSuffix(".png") }

    func validate() throws {
        let lower = output.lowercased()
        guard lower.hasSuffix(".svg") || lower.hasSuffix(".png") else {
            throw ValidationError("-o must name a .svg or .png file (got \(output))")
        }
        guard (10...10_000).contains(maxColumns) else { throw ValidationError("--max-columns must be 10...10000") }
    }

    func run() async throws {
        var converter: String?
        if isPNG {
            guard let path = Self.executable(named: "rsvg-convert") else {
                throw CommandFailure("rsvg-convert not found: install the Debian package librsvg2-bin to write PNG (or write .svg)")
            }
            converter = path
        }
        var settings = DaemonSettings()
        if let config {
            guard FileManager.default.fileExists(atPath: config) else { throw CommandFailure("config not found: \(config)") }
            do { settings = try DaemonConfigFile.load(path: config) } catch { throw CommandFailure("\(error)") }
        }
        let data = try CapturePlotData.load(capture: capture, labels: labels, model: model, settings: settings,
                                            maxColumns: maxColumns)
        let svg = Data(CapturePlot(data: data).svg().utf8)
        guard let converter else {
            try write(svg, to: output)
            return
        }
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("csihar-plot-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).svg").path
        try write(svg, to: temporary)
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        try Self.convert(svg: temporary, png: output, with: converter)
    }

    /// Writes `bytes` to `path`, failing with one line naming it.
    private func write(_ bytes: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: bytes) else { throw CommandFailure("cannot write \(path)") }
    }

    /// Runs `rsvg-convert` on `svg`, writing `png`; its own message on failure.
    static func convert(svg: String, png: String, with converter: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: converter)
        process.arguments = ["--format", "png", "--background-color", "white", "--output", png, svg]
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch { throw CommandFailure("cannot run \(converter): \(FileErrorReason.describe(error))") }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            throw CommandFailure("rsvg-convert could not write \(png) (exit \(process.terminationStatus)): \(text)")
        }
    }

    /// The first executable `name` on `PATH`, or nil.
    static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

}
