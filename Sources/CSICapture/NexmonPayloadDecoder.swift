/// Decodes one Nexmon CSI UDP payload (csi-formats.md §2.2-2.4) into a ``CSIFrame``.
///
/// Both header layouts (old: 4-byte magic `11 11 11 11`; new: `11 11`, rssi, frame control) are accepted.
/// NFFT comes from the payload length (`(len - 18) / 4`, one of 64/128/256/512) and is cross-checked with the
/// chanspec bandwidth (a disagreement is kept in `extras["bandwidth_mismatch"] = 1`). The output subcarriers
/// are fftshifted, ascending `-NFFT/2 ... NFFT/2 - 1`; one (tx, rx) pair per payload. For new-format payloads of
/// packed-float chips the three bins the firmware overwrites with PhyRxStatus are left out of the autoscale (their
/// values are still decoded; mask them with ``phyStatusSubcarriers(nfft:)``).
public struct NexmonPayloadDecoder: Sendable {
    /// Size of the payload header before the CSI words.
    public static let headerSize = 18
    /// The chip to assume regardless of the payload's chip field (needed for pre-2019 files with `0xdead`).
    public var chipOverride: NexmonChip?
    /// Packed-float chips: rescale each packet so its largest component has its top bit at bit 10 (true: the MATLAB
    /// reference and csiread `Nexmon` behaviour) or use the fixed shift `10 + 2^(nexp-1)` (false, the default), which
    /// keeps the scale of every packet and core the same, as features need.
    public var autoscale: Bool

    /// Creates a decoder.
    public init(chipOverride: NexmonChip? = nil, autoscale: Bool = false) {
        self.chipOverride = chipOverride
        self.autoscale = autoscale
    }

    /// Ascending subcarrier indices for each supported NFFT, shared by every frame.
    private static let subcarrierTables: [Int: [Int]] = Dictionary(uniqueKeysWithValues: [64, 128, 256, 512].map {
        ($0, Array((-$0 / 2)..<($0 / 2)))
    })

    /// Signed subcarrier indices whose CSI words new-format firmware (PR #256) overwrites with 12 bytes of
    /// PhyRxStatus (csi-formats.md §2.4): +28, +29, +30 at 20 MHz (NFFT 64), else 0, +1, +2. Consumers should mask
    /// them for frames with `extras["format"] == 1` (+28 and +2 are real data subcarriers).
    public static func phyStatusSubcarriers(nfft: Int) -> [Int] {
        nfft == 64 ? [28, 29, 30] : Array(widebandPhyStatusSubcarriers)
    }

    /// ``phyStatusSubcarriers(nfft:)`` of every grid wider than 20 MHz (NFFT 128, 256, 512): 0, +1, +2.
    public static let widebandPhyStatusSubcarriers = 0..<3

    /// Decodes a payload given as an array.
    public func decode(_ payload: [UInt8], timestamp: Double) throws -> CSIFrame {
        try payload.withUnsafeBytes { raw throws in try decode(raw, timestamp: timestamp) }
    }

    /// Decodes one UDP payload (exactly the UDP data, bounded by the UDP/IP length, without trailer bytes).
    public func decode(_ payload: UnsafeRawBufferPointer, timestamp: Double) throws -> CSIFrame {
        let count = payload.count
        guard count >= Self.headerSize else {
            throw RecordDecodeError(kind: "truncated", reason: "Nexmon payload of \(count) bytes is shorter than its 18-byte header")
        }
        @inline(__always) func u16(_ at: Int) -> Int { Int(payload[at]) | Int(payload[at + 1]) << 8 }
        guard payload[0] == 0x11, payload[1] == 0x11 else {
            throw RecordDecodeError(kind: "bad-magic", reason: String(format2: payload[0], payload[1]))
        }
        let newFormat = !(payload[2] == 0x11 && payload[3] == 0x11)
        let csiBytes = count - Self.headerSize
        let nfft = csiBytes / 4
        guard csiBytes % 4 == 0, Self.subcarrierTables[nfft] != nil else {
            throw RecordDecodeError(kind: "bad-length",
                                    reason: "Nexmon payload of \(count) bytes: (len - 18) / 4 is not 64, 128, 256 or 512")
        }
        let mac = (4..<10).map { payload[$0] }
        let sequenceControl = u16(10)
        let coreStream = u16(12)
        let chanspec = u16(14)
        let chipID = UInt16(u16(16))
        let chip: NexmonChip
        if let chipOverride {
            chip = chipOverride
        } else if let known = NexmonChip(rawValue: chipID) {
            chip = known
        } else {
            throw RecordDecodeError(kind: "unknown-chip",
                                    reason: "chip id 0x\(String(chipID, radix: 16)) is not 1/3/101/106; name the chip (e.g. --chip 4358)")
        }

        // real/imag: (1, 1, nfft), column s holds subcarrier s - nfft/2 = FFT bin (s + nfft/2) % nfft.
        var real = [Float](repeating: 0, count: nfft)
        var imag = [Float](repeating: 0, count: nfft)
        let words = UnsafeRawBufferPointer(rebasing: payload[Self.headerSize...])
        real.withUnsafeMutableBufferPointer { re in
            imag.withUnsafeMutableBufferPointer { im in
                if let layout = chip.floatLayout {
                    // New-format firmware overwrites three bins with PhyRxStatus: keep them out of the autoscale.
                    let overwritten = newFormat ? Self.phyStatusSubcarriers(nfft: nfft).map { ($0 + nfft) % nfft } : []
                    Self.unpackFloat(words: words, nfft: nfft, mantissaBits: layout.mantissaBits,
                                     exponentBits: layout.exponentBits, autoscale: autoscale,
                                     autoscaleExcludedBins: overwritten, real: re, imag: im)
                } else {
                    Self.unpackInt16(words: words, nfft: nfft, real: re, imag: im)
                }
            }
        }

        let bandwidth = nfft * 5 / 16   // NFFT = 3.2 x BW
        let chanspecBandwidth: Int? = [2: 20, 3: 40, 4: 80, 5: 160][(chanspec >> 11) & 7]
        var extras: [String: Int] = [
            "chanspec": chanspec, "chip": Int(chipID), "seqctl": sequenceControl, "format": newFormat ? 1 : 0,
            "core": coreStream & 7, "stream": (coreStream >> 3) & 7, "nfft": nfft,
        ]
        if chanspecBandwidth != bandwidth { extras["bandwidth_mismatch"] = 1 }
        var rssi: [Int] = []
        if newFormat {
            rssi = [Int(Int8(bitPattern: payload[2]))]
            extras["fc"] = Int(payload[3])
        }
        return CSIFrame(
            timestamp: timestamp, device: .nexmon(chip: chip.rawValue),
            source: CSISourceID(transmitter: mac, core: UInt8(coreStream & 7), spatialStream: UInt8((coreStream >> 3) & 7)),
            sequence: sequenceControl >> 4, rssi: rssi, noise: nil, agc: nil, bandwidthMHz: bandwidth,
            ntx: 1, nrx: 1, subcarriers: Self.subcarrierTables[nfft]!, real: real, imag: imag, extras: extras)
    }

    /// int16 chips: each 32-bit word is `i16 LE real, i16 LE imag`.
    @inline(__always)
    static func unpackInt16(words: UnsafeRawBufferPointer, nfft: Int,
                            real: UnsafeMutableBufferPointer<Float>, imag: UnsafeMutableBufferPointer<Float>) {
        let half = nfft / 2
        for bin in 0..<nfft {
            let column = bin < half ? bin + half : bin - half
            let re = Int16(bitPattern: UInt16(words[4 * bin]) | UInt16(words[4 * bin + 1]) << 8)
            let im = Int16(bitPattern: UInt16(words[4 * bin + 2]) | UInt16(words[4 * bin + 3]) << 8)
            real[column] = Float(re)
            imag[column] = Float(im)
        }
    }

    /// Packed-float chips (`unpack_float_acphy`, §2.4): sign + magnitude mantissas and a shared two's-complement
    /// exponent per word, scaled by `2^shift` (autoscale or fixed). Computed exactly in Double. Bins in
    /// `autoscaleExcludedBins` (the phy-status bins of new-format payloads) do not take part in the autoscale.
    static func unpackFloat(words: UnsafeRawBufferPointer, nfft: Int, mantissaBits nman: Int, exponentBits nexp: Int,
                            autoscale: Bool, autoscaleExcludedBins: [Int] = [],
                            real: UnsafeMutableBufferPointer<Float>, imag: UnsafeMutableBufferPointer<Float>) {
        let magnitudeMask = UInt32(1 << (nman - 1)) - 1
        let exponentMask = UInt32(1 << nexp) - 1
        let realSignBit = UInt32(1) << UInt32(nexp + 2 * nman - 1)
        let imagSignBit = UInt32(1) << UInt32(nexp + nman - 1)
        @inline(__always) func word(_ n: Int) -> UInt32 {
            UInt32(words[4 * n]) | UInt32(words[4 * n + 1]) << 8 | UInt32(words[4 * n + 2]) << 16 | UInt32(words[4 * n + 3]) << 24
        }
        @inline(__always) func exponent(_ h: UInt32) -> Int {
            let e = Int(h & exponentMask)
            return e >= (1 << (nexp - 1)) ? e - (1 << nexp) : e
        }
        var shift: Int
        if autoscale {
            var maxBit = -(1 << (nexp - 1))
            for n in 0..<nfft where !autoscaleExcludedBins.contains(n) {
                let h = word(n)
                let magnitudes = ((h >> UInt32(nexp + nman)) & magnitudeMask) | ((h >> UInt32(nexp)) & magnitudeMask)
                if magnitudes != 0 {
                    let topBit = 31 - magnitudes.leadingZeroBitCount
                    maxBit = max(maxBit, exponent(h) + topBit)
                }
            }
            shift = 10 - maxBit
        } else {
            shift = 10 + (1 << (nexp - 1))
        }
        @inline(__always) func component(_ magnitude: UInt32, _ t: Int, negative: Bool) -> Float {
            let value: Double
            if t < -nman {
                value = 0
            } else if t < 0 {
                value = Double(magnitude >> UInt32(-t))
            } else {
                value = Double(magnitude) * Double(sign: .plus, exponent: t, significand: 1)
            }
            return Float(negative ? -value : value)
        }
        let half = nfft / 2
        for bin in 0..<nfft {
            let column = bin < half ? bin + half : bin - half
            let h = word(bin)
            let t = exponent(h) + shift
            real[column] = component((h >> UInt32(nexp + nman)) & magnitudeMask, t, negative: h & realSignBit != 0)
            imag[column] = component((h >> UInt32(nexp)) & magnitudeMask, t, negative: h & imagSignBit != 0)
        }
    }
}

extension String {
    /// "bad magic 0xAABB" text for the first two payload bytes.
    fileprivate init(format2 first: UInt8, _ second: UInt8) {
        let hex = { (b: UInt8) in b < 16 ? "0" + String(b, radix: 16) : String(b, radix: 16) }
        self = "payload starts with \(hex(first)) \(hex(second)), not the Nexmon magic 11 11"
    }
}
