@testable import csihar
import Foundation

/// What the plot tests need around csihar: temporary directories and external tools (rsvg-convert, ImageMagick's
/// convert, Chromium) found on PATH and run with a time limit.
enum PlotTestTools {
    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-plot-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The first of `names` found as an executable on PATH.
    static func tool(_ names: [String]) -> String? {
        names.lazy.compactMap { PlotCommand.executable(named: $0) }.first
    }

    /// Runs `tool` with `arguments`; kills it after `timeout` seconds. Standard output and the exit status.
    static func run(_ tool: String, _ arguments: [String], timeout: Double = 60) throws -> (status: Int32, stdout: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        let reader = BackgroundRead(out.fileHandleForReading)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, reader.data())
    }

    /// The distinct colours and the fraction of near-white pixels of a PNG, decoded by `convert FILE ppm:-`
    /// (ImageMagick); nil when convert is missing or cannot decode it.
    static func colours(ofPNG path: String) throws -> (distinct: Int, white: Double)? {
        guard let convert = tool(["convert"]) else { return nil }
        let result = try run(convert, [path, "ppm:-"])
        guard result.status == 0, let image = PlotSVGReader.decodePPM(result.stdout) else { return nil }
        var seen = Set<UInt32>()
        var white = 0
        for p in stride(from: 0, to: image.rgb.count, by: 3) {
            let r = image.rgb[p], g = image.rgb[p + 1], b = image.rgb[p + 2]
            seen.insert(UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b))
            if r > 245 && g > 245 && b > 245 { white += 1 }
        }
        return (seen.count, Double(white) / Double(max(1, image.width * image.height)))
    }

    /// Width and height from a PNG's IHDR chunk, nil when `data` does not start with the PNG signature.
    static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
              bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        let be = { (o: Int) in bytes[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }
}
