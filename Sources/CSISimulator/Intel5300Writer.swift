import CSICapture

/// Writes Intel 5300 CSI Tool `log_to_file` files: one `0xBB` record per frame (csi-formats.md §1.1-1.4):
/// u16 BE length, code 0xBB, the 20-byte `iwl_bfee_notif` header, and the bit-packed int8 payload.
///
/// Frames are expected in antenna order (as the readers produce them); when `extras["antenna_sel"]` holds a valid
/// permutation and Nrx = 3, RF chain j is written with antenna `perm[j]`'s values, so a reader that applies the
/// permutation gets the frame back. CSI values are rounded and clamped to int8 (clamped values are counted).
public final class Intel5300Writer {
    /// Output path.
    public let path: String
    /// Values that did not fit int8 and were clamped.
    public private(set) var clampedValues = 0
    /// Records written.
    public private(set) var recordCount = 0
    private let output: BinaryFileWriter

    /// Creates (truncates) `path`.
    public init(path: String) throws(WriterError) {
        self.path = path
        output = try BinaryFileWriter(path: path)
    }

    /// Appends one frame as a 0xBB record. Throws for a frame the format cannot hold (Nrx/Ntx outside 1...3,
    /// not 30 subcarriers).
    public func write(_ frame: CSIFrame) throws(WriterError) {
        try output.write(record(frame))
        recordCount += 1
    }

    /// Flushes and closes the file.
    public func close() throws(WriterError) { try output.close() }

    /// The bytes of one record for `frame`.
    public func record(_ frame: CSIFrame) throws(WriterError) -> [UInt8] {
        let nrx = frame.nrx, ntx = frame.ntx
        guard (1...3).contains(nrx), (1...3).contains(ntx), frame.nsub == 30 else {
            throw WriterError(path: path, reason: "Intel 5300 records hold 1-3 Rx x 1-3 Tx x 30 subcarriers, "
                              + "frame has \(nrx) x \(ntx) x \(frame.nsub)")
        }
        let entries = nrx * ntx
        let payloadLength = 60 * entries + 12
        let antennaSelection = frame.extras["antenna_sel"] ?? 0b100100    // identity permutation 0,1,2
        let perm = [antennaSelection & 3, (antennaSelection >> 2) & 3, (antennaSelection >> 4) & 3]
        let permute = nrx == 3 && Set(perm) == [0, 1, 2]
        let timestampLow = frame.extras["timestamp_low"] ?? Int((frame.timestamp * 1e6).rounded())
        let rate = frame.extras["rate"] ?? (frame.bandwidthMHz == 40 ? 0x4901 : 0x4101)
        func u8(_ value: Int) -> UInt8 { UInt8(clamping: value) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(3 + 20 + payloadLength)
        bytes.appendBE16(1 + 20 + payloadLength)
        bytes.append(0xBB)
        bytes.appendLE32(timestampLow)
        bytes.appendLE16(frame.extras["bfee_count"] ?? frame.sequence ?? recordCount)
        bytes.appendLE16(0)
        bytes.append(UInt8(nrx))
        bytes.append(UInt8(ntx))
        for i in 0..<3 { bytes.append(u8(i < frame.rssi.count ? frame.rssi[i] : 0)) }
        bytes.append(UInt8(bitPattern: Int8(clamping: frame.noise ?? -127)))
        bytes.append(u8(frame.agc ?? 0))
        bytes.append(UInt8(truncatingIfNeeded: antennaSelection))
        bytes.appendLE16(payloadLength)
        bytes.appendLE16(rate)

        // payload: per subcarrier a 3-bit header, then (re, im) int8 per (chain, tx), tx fastest
        var payload = [UInt8](repeating: 0, count: payloadLength + 1)
        func put(_ value: UInt8, at bit: Int) {
            let b = bit >> 3, r = bit & 7
            payload[b] |= value << r
            if r > 0 { payload[b + 1] |= value >> (8 - r) }
        }
        func int8(_ value: Float) -> UInt8 {
            let rounded = value.rounded()
            if rounded > 127 || rounded < -128 { clampedValues += 1 }
            return UInt8(bitPattern: Int8(min(max(rounded, -128), 127)))
        }
        var bit = 0
        for s in 0..<30 {
            bit += 3
            for chain in 0..<nrx {
                let row = permute ? perm[chain] : chain
                for tx in 0..<ntx {
                    let i = frame.index(tx: tx, rx: row, subcarrier: s)
                    put(int8(frame.real[i]), at: bit)
                    put(int8(frame.imag[i]), at: bit + 8)
                    bit += 16
                }
            }
        }
        bytes.append(contentsOf: payload[0..<payloadLength])
        return bytes
    }
}
