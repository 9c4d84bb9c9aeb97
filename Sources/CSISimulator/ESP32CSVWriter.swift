import CSICapture

/// Writes ESP32-CSI-Tool CSV (csi-formats.md §4.1): the header line, then one 26-field `CSI_DATA` line per frame
/// whose last field is `[v0 v1 ... ]`, space-separated int8 values as (imaginary, real) pairs of the 64 LLTF items
/// in FFT order (items 0..31 = subcarriers 0..31, 32..63 = -32..-1).
public final class ESP32CSVWriter {
    /// Output path.
    public let path: String
    /// Lines written.
    public private(set) var lineCount = 0
    private let output: BinaryFileWriter

    /// The ESP32-CSI-Tool header line.
    public static let header = "type,role,mac,rssi,rate,sig_mode,mcs,bandwidth,smoothing,not_sounding,aggregation,"
        + "stbc,fec_coding,sgi,noise_floor,ampdu_cnt,channel,secondary_channel,local_timestamp,ant,sig_len,rx_state,"
        + "real_time_set,real_timestamp,len,CSI_DATA"

    /// Creates (truncates) `path` and writes the header line.
    public init(path: String) throws(WriterError) {
        self.path = path
        output = try BinaryFileWriter(path: path)
        try output.write(Self.header + "\n")
    }

    /// Appends one frame; it must hold subcarriers -32...31 (one antenna).
    public func write(_ frame: CSIFrame) throws(WriterError) {
        guard frame.nsub == 64, frame.subcarriers.first == -32, frame.nrx == 1 else {
            throw WriterError(path: path, reason: "ESP32 frames need 1 antenna x subcarriers -32...31, got "
                              + "\(frame.nrx) x \(frame.nsub)")
        }
        let mac = (frame.source.transmitter ?? [0, 0, 0, 0, 0, 0]).map { byte -> String in
            let hex = String(byte, radix: 16, uppercase: true)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
        let e = frame.extras
        let local = e["local_timestamp"] ?? (Int((frame.timestamp * 1e6).rounded()) & 0xFFFF_FFFF)
        let fields: [String] = [
            "CSI_DATA", "STA", mac, String(frame.rssi.first ?? -50), String(e["rate"] ?? 11), String(e["sig_mode"] ?? 0),
            String(e["mcs"] ?? 0), String(frame.bandwidthMHz == 40 ? 1 : 0), "0", "1", "0", "0", "0", "0",
            String(e["noise_floor"] ?? frame.noise ?? -95), "0", String(e["channel"] ?? 6), String(e["secondary_channel"] ?? 0),
            String(local), "0", "36", "0", "0", "0.000000", "128",
        ]
        var values = "["
        for item in 0..<64 {
            let column = item < 32 ? item + 32 : item - 32
            values += String(Int(Int8(clamping: Int(frame.imag[column].rounded())))) + " "
            values += String(Int(Int8(clamping: Int(frame.real[column].rounded())))) + " "
        }
        values += "]"
        try output.write(fields.joined(separator: ",") + "," + values + "\n")
        lineCount += 1
    }

    /// Flushes and closes the file.
    public func close() throws(WriterError) { try output.close() }
}
