import CSICapture

/// Writes FeitCSI captures (`.csi`, Intel AX200/AX210, csi-formats.md §6b) that ``FeitCSIReader`` reads back:
/// per frame a 272-byte Intel CSI header (``IntelMVMCSIHeader``) and `i16 real, i16 imag` little-endian pairs
/// ordered rx, tx, tone; no file header.
///
/// Header fields written: `csi_length`, `ftm_clock`, `num_rx`, `num_tx`, `num_subcarriers`, `rssi_1/2`, the source
/// MAC, `csi_sequence`, `mu_clock` and `rate_n_flags`, from the frame's `extras` (`ftm_clock`, `mu_clock`,
/// `csi_sequence`, `rate_flags`) where present, else derived from its timestamp, record count and tone set (HE
/// for HE tones, VHT for VHT80/VHT160, HT otherwise). Other header bytes are 0. The frame's subcarriers must be a tone set
/// the reader knows (``OFDMToneLayout``) for its bandwidth; CSI values are rounded and clamped to int16 (clamped
/// values are counted).
public final class FeitCSIWriter {
    /// Output path.
    public let path: String
    /// Values that did not fit int16 and were clamped.
    public private(set) var clampedValues = 0
    /// Records written.
    public private(set) var recordCount = 0
    private let output: BinaryFileWriter

    /// Creates (truncates) `path`.
    public init(path: String) throws(WriterError) {
        self.path = path
        output = try BinaryFileWriter(path: path)
    }

    /// Appends one frame as a record. Throws for a frame the format cannot hold (Nrx/Ntx outside 1...8, a tone
    /// set that is not an 802.11 table for the frame's bandwidth).
    public func write(_ frame: CSIFrame) throws(WriterError) {
        try output.write(record(frame))
        recordCount += 1
    }

    /// Flushes and closes the file.
    public func close() throws(WriterError) { try output.close() }

    /// The bytes of one record for `frame`.
    public func record(_ frame: CSIFrame) throws(WriterError) -> [UInt8] {
        let nrx = frame.nrx, ntx = frame.ntx, nsub = frame.nsub
        guard (1...8).contains(nrx), (1...8).contains(ntx) else {
            throw WriterError(path: path, reason: "FeitCSI records hold 1-8 Rx x 1-8 Tx, frame has \(nrx) x \(ntx)")
        }
        guard let layout = OFDMToneLayout.layout(bandwidthMHz: frame.bandwidthMHz, tones: nsub),
              layout.gap.isEmpty, layout.indices == frame.subcarriers else {
            throw WriterError(path: path, reason: "\(nsub) subcarriers (\(frame.subcarriers.first ?? 0)..."
                              + "\(frame.subcarriers.last ?? 0)) at \(frame.bandwidthMHz) MHz are no AX210 tone set")
        }
        let csiLength = 4 * nrx * ntx * nsub
        let muClock = frame.extras["mu_clock"] ?? Int((frame.timestamp * 1e6).rounded())
        let ftmClock = frame.extras["ftm_clock"] ?? Int((frame.timestamp * 320e6).rounded())
        let rateFlags = frame.extras["rate_flags"] ?? Self.defaultRateFlags(layout: layout, bandwidthMHz: frame.bandwidthMHz)

        var bytes = [UInt8](repeating: 0, count: IntelMVMCSIHeader.size)
        func put32(_ value: Int, at offset: Int) {
            for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        }
        put32(csiLength, at: 0)
        put32(ftmClock, at: 8)
        bytes[46] = UInt8(nrx)
        bytes[47] = UInt8(ntx)
        put32(nsub, at: 52)
        for chain in 0..<min(nrx, 2) where chain < frame.rssi.count {
            // the file holds -rssi (a positive number); 0 means none
            put32(frame.rssi[chain] < 0 ? min(-frame.rssi[chain], 255) : 0, at: 60 + 4 * chain)
        }
        let mac = frame.source.transmitter ?? []
        for i in 0..<6 { bytes[68 + i] = i < mac.count ? mac[i] : 0 }
        bytes[76] = UInt8(truncatingIfNeeded: frame.extras["csi_sequence"] ?? recordCount)
        put32(muClock, at: 88)
        put32(rateFlags, at: 92)

        bytes.reserveCapacity(IntelMVMCSIHeader.size + csiLength)
        func int16(_ value: Float) -> Int {
            let rounded = value.rounded()
            if rounded > 32767 || rounded < -32768 { clampedValues += 1 }
            return Int(min(max(rounded, -32768), 32767))
        }
        for r in 0..<nrx {
            for t in 0..<ntx {
                let base = frame.index(tx: t, rx: r, subcarrier: 0)
                for s in 0..<nsub {
                    bytes.appendLE16(int16(frame.real[base + s]))
                    bytes.appendLE16(int16(frame.imag[base + s]))
                }
            }
        }
        return bytes
    }

    /// `rate_n_flags` for a frame without one: HE for HE tone sets, VHT at 80/160 MHz, HT otherwise.
    static func defaultRateFlags(layout: OFDMToneLayout, bandwidthMHz: Int) -> Int {
        let format: AX210PHYFormat = layout.name.hasPrefix("HE") ? .he : (bandwidthMHz >= 80 ? .vht : .ht)
        return format.rateFlags(bandwidthMHz: bandwidthMHz)
    }
}
