import CSICapture

/// What ``Simulator/write(to:labelsPath:)`` produced.
public struct SimulationOutput: Sendable {
    /// The capture file.
    public var path: String
    /// The label sidecar.
    public var labelsPath: String
    /// Frames (packets, lines) written.
    public var frames: Int
    /// Seconds of recording.
    public var duration: Double
}

extension Simulator {
    /// The file extension of the device's capture format: `dat`, `pcap`, `csv` or `csi` (FeitCSI).
    public static func fileExtension(for device: SimulatedDevice) -> String {
        switch device {
        case .intel5300: return "dat"
        case .nexmon43455c0, .nexmon4366c0: return "pcap"
        case .esp32: return "csv"
        case .ax210: return "csi"
        }
    }

    /// The default sidecar path: the capture path without its extension, plus `.labels.csv`.
    public static func defaultLabelsPath(for path: String) -> String {
        var base = Substring(path)
        if let dot = base.lastIndex(of: "."), !base[dot...].contains("/") { base = base[..<dot] }
        return base + ".labels.csv"
    }

    /// Generates the recording into `path` in the device's format (Intel `.dat`, Nexmon pcap, ESP32 CSV, AX210
    /// FeitCSI `.csi`) and
    /// writes its label sidecar.
    public func write(to path: String, labelsPath: String? = nil) throws(WriterError) -> SimulationOutput {
        var count = 0
        switch config.device {
        case .intel5300:
            let writer = try Intel5300Writer(path: path)
            try runWriting { frame throws(WriterError) in try writer.write(frame); count += 1 }
            try writer.close()
        case .nexmon43455c0, .nexmon4366c0:
            let writer = try NexmonPcapWriter(path: path)
            try runWriting { frame throws(WriterError) in try writer.write(frame); count += 1 }
            try writer.close()
        case .esp32:
            let writer = try ESP32CSVWriter(path: path)
            try runWriting { frame throws(WriterError) in try writer.write(frame); count += 1 }
            try writer.close()
        case .ax210:
            let writer = try FeitCSIWriter(path: path)
            try runWriting { frame throws(WriterError) in try writer.write(frame); count += 1 }
            try writer.close()
        }
        let sidecar = labelsPath ?? Self.defaultLabelsPath(for: path)
        try LabelSidecar.write(script.segments, to: sidecar)
        return SimulationOutput(path: path, labelsPath: sidecar, frames: count, duration: script.duration)
    }

    /// `run` with a typed-throwing body.
    private func runWriting(_ body: (CSIFrame) throws(WriterError) -> Void) throws(WriterError) {
        do {
            try run { frame in try body(frame) }
        } catch let error as WriterError {
            throw error
        } catch {
            throw WriterError(path: "", reason: "\(error)")
        }
    }
}
