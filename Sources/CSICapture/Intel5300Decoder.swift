/// Decodes Intel 5300 CSI Tool records (`iwl_bfee_notif`, code 0xBB) into ``CSIFrame`` values.
///
/// Used by ``Intel5300Reader`` (files), ``Intel5300NetlinkSource`` (live) and fuzzing. The bit unpacking and the
/// antenna permutation follow the official MATLAB `read_bfee.c` / `read_bf_file.m` (csi-formats.md §1.2-1.4).
public enum Intel5300Decoder {
    /// Record code of a beamforming feedback (CSI) record.
    public static let beamformingCode: UInt8 = 0xBB
    /// Record codes the CSI Tool driver emits besides 0xBB (skipped and counted by readers).
    public static let otherKnownCodes: Set<UInt8> = [0xC0, 0xC1, 0xC3, 0xD0, 0xD1, 0x1C, 0xC5, 0xD2]
    /// Size of the fixed body header before the packed CSI payload.
    public static let bodyHeaderSize = 20
    /// Number of grouped subcarriers per record.
    public static let subcarrierCount = 30
    /// Largest record length `L` accepted by `parse_log.c`.
    public static let maximumRecordLength = 4096

    /// Signed subcarrier indices of the 30 grouped subcarriers at 20 MHz (Ng = 2, 802.11n Table 9-54).
    public static let subcarriers20MHz: [Int] = [
        -28, -26, -24, -22, -20, -18, -16, -14, -12, -10, -8, -6, -4, -2, -1,
        1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 28,
    ]
    /// Signed subcarrier indices of the 30 grouped subcarriers at 40 MHz (Ng = 4).
    public static let subcarriers40MHz: [Int] =
        Array(stride(from: -58, through: -2, by: 4)) + Array(stride(from: 2, through: 58, by: 4))

    /// The CSI payload size for `nrx * ntx` entries: `(30 * (N * 16 + 3) + 7) / 8 = 60 N + 12`.
    @inline(__always)
    public static func payloadSize(entries: Int) -> Int { 60 * entries + 12 }

    /// The record length `L` (code + body) of a valid 0xBB record with `nrx * ntx` entries: `60 N + 33`.
    @inline(__always)
    public static func recordLength(entries: Int) -> Int { 21 + payloadSize(entries: entries) }

    /// Decodes one message that starts at the code byte (the netlink payload, or a file record after its
    /// 2-byte length). Returns `nil` for codes other than 0xBB.
    public static func decodeMessage(_ message: [UInt8]) throws -> CSIFrame? {
        guard let code = message.first else {
            throw RecordDecodeError(kind: "truncated", reason: "empty message")
        }
        guard code == beamformingCode else { return nil }
        return try message.withUnsafeBytes { raw throws in
            try decodeBody(UnsafeRawBufferPointer(rebasing: raw[1...]))
        }
    }

    /// Decodes one 0xBB body given as an array (the bytes after the code byte).
    public static func decodeBody(_ body: [UInt8]) throws -> CSIFrame {
        try body.withUnsafeBytes { raw throws in try decodeBody(raw) }
    }

    /// Decodes one 0xBB body (the bytes after the code byte).
    ///
    /// The frame's timestamp is `timestamp_low * 1e-6` (readers replace it with the unwrapped or host time),
    /// `sequence` is `bfee_count`, `rssi` is `[rssi_a, rssi_b, rssi_c]` (0 = absent), and `extras` holds
    /// `timestamp_low`, `bfee_count`, `rate`, `antenna_sel` and `permuted` (1 when the antenna permutation was
    /// applied: Nrx = 3 with a valid permutation, as MATLAB/CSIKit; otherwise the chain order is kept).
    public static func decodeBody(_ body: UnsafeRawBufferPointer) throws -> CSIFrame {
        guard body.count >= bodyHeaderSize else {
            throw RecordDecodeError(kind: "truncated",
                                    reason: "0xBB body has \(body.count) bytes, the header alone needs \(bodyHeaderSize)")
        }
        let timestampLow = UInt32(body[0]) | UInt32(body[1]) << 8 | UInt32(body[2]) << 16 | UInt32(body[3]) << 24
        let bfeeCount = Int(body[4]) | Int(body[5]) << 8
        let nrx = Int(body[8])
        let ntx = Int(body[9])
        let rssiA = Int(body[10]), rssiB = Int(body[11]), rssiC = Int(body[12])
        let noise = Int(Int8(bitPattern: body[13]))
        let agc = Int(body[14])
        let antennaSelection = Int(body[15])
        let payloadLength = Int(body[16]) | Int(body[17]) << 8
        let rate = Int(body[18]) | Int(body[19]) << 8

        guard (1...3).contains(nrx), (1...3).contains(ntx) else {
            throw RecordDecodeError(kind: "bad-record", reason: "Nrx=\(nrx) Ntx=\(ntx) outside 1...3")
        }
        let entries = nrx * ntx
        guard payloadLength == payloadSize(entries: entries) else {
            throw RecordDecodeError(kind: "bad-record",
                                    reason: "CSI length \(payloadLength) != 60*Nrx*Ntx+12 = \(payloadSize(entries: entries))")
        }
        guard body.count >= bodyHeaderSize + payloadLength else {
            throw RecordDecodeError(kind: "truncated",
                                    reason: "0xBB body has \(body.count) bytes, needs \(bodyHeaderSize + payloadLength)")
        }

        // perm[chain] = antenna slot that RF chain `chain` carried (§1.4).
        let perm = (antennaSelection & 3, (antennaSelection >> 2) & 3, (antennaSelection >> 4) & 3)
        let validPermutation = perm.0 != perm.1 && perm.0 != perm.2 && perm.1 != perm.2
            && perm.0 < 3 && perm.1 < 3 && perm.2 < 3
        let permute = nrx == 3 && validPermutation
        // slot[chain]: the rx row in the output for RF chain `chain`.
        let slot = permute ? [perm.0, perm.1, perm.2] : [0, 1, 2]

        let nsub = subcarrierCount
        var real = [Float](repeating: 0, count: ntx * nrx * nsub)   // (ntx, nrx, 30)
        var imag = [Float](repeating: 0, count: ntx * nrx * nsub)   // (ntx, nrx, 30)
        let payload = UnsafeRawBufferPointer(rebasing: body[bodyHeaderSize..<(bodyHeaderSize + payloadLength)])
        real.withUnsafeMutableBufferPointer { re in
            imag.withUnsafeMutableBufferPointer { im in
                unpack(payload: payload, nrx: nrx, ntx: ntx, slot: slot, real: re, imag: im)
            }
        }

        let bandwidth = (rate & 0x800) != 0 ? 40 : 20
        return CSIFrame(
            timestamp: Double(timestampLow) * 1e-6, device: .intel5300, source: CSISourceID(),
            sequence: bfeeCount, rssi: [rssiA, rssiB, rssiC], noise: noise, agc: agc, bandwidthMHz: bandwidth,
            ntx: ntx, nrx: nrx, subcarriers: bandwidth == 40 ? subcarriers40MHz : subcarriers20MHz,
            real: real, imag: imag,
            extras: ["timestamp_low": Int(timestampLow), "bfee_count": bfeeCount, "rate": rate,
                     "antenna_sel": antennaSelection, "permuted": permute ? 1 : 0])
    }

    /// Unpacks the little-endian bit stream of 30 subcarriers x (3-bit header + N x (int8 re, int8 im)) (§1.3)
    /// into `real`/`imag` laid out (ntx, nrx, 30), chain `c` written to row `slot[c]`.
    @inline(__always)
    static func unpack(payload p: UnsafeRawBufferPointer, nrx: Int, ntx: Int, slot: [Int],
                       real: UnsafeMutableBufferPointer<Float>, imag: UnsafeMutableBufferPointer<Float>) {
        let nsub = subcarrierCount
        let count = p.count
        // A byte past the payload reads as 0 (the last entry's high byte may reach one past when r == 0).
        @inline(__always) func byte(_ i: Int) -> UInt32 { i < count ? UInt32(p[i]) : 0 }
        var bit = 0
        for sc in 0..<nsub {
            bit += 3
            for chain in 0..<nrx {
                for tx in 0..<ntx {
                    let b = bit >> 3
                    let r = UInt32(bit & 7)
                    let b1 = byte(b + 1)
                    let re = Int8(truncatingIfNeeded: (byte(b) >> r) | (b1 << (8 - r)))
                    let im = Int8(truncatingIfNeeded: (b1 >> r) | (byte(b + 2) << (8 - r)))
                    let out = (tx * nrx + slot[chain]) * nsub + sc
                    real[out] = Float(re)
                    imag[out] = Float(im)
                    bit += 16
                }
            }
        }
    }
}
