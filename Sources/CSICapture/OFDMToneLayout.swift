/// The signed subcarrier (tone) indices of the CSI that Intel AX200/AX210 firmware reports, for every 802.11
/// format and channel width, and how a raw tone buffer maps onto them.
///
/// The firmware reports every used tone, pilots included, lowest index first: non-HT 20 MHz 52 tones
/// (-26..-1, 1..26), HT/VHT 20 MHz 56 (-28..-1, 1..28), HT/VHT 40 MHz 114 (-58..-2, 2..58), VHT 80 MHz 242
/// (-122..-2, 2..122), VHT 160 MHz 484 (-250..-130, -126..-6, 6..126, 130..250), HE 20 MHz 242 (-122..-2,
/// 2..122), HE 40 MHz 484 (-244..-3, 3..244), HE 80 MHz 996 (-500..-3, 3..500), HE 160 MHz 1992 (-1012..-515,
/// -509..-12, 12..509, 515..1012): the tables of PicoScenes' `CSISegment` and FeitCSI. HE indices count HE
/// tones (78.125 kHz apart), the others legacy tones (312.5 kHz).
///
/// Pilot tones (``pilots``) are reported as 0 by AX210 firmware (every pilot of the FeitCSI HT20, VHT80, HE80
/// and HE160 example captures is exactly 0 in every record), so consumers should not read channel values there.
///
/// The layout is chosen by tone count and channel width, so it does not depend on the format field being
/// right. Some firmware versions (PicoScenes firmware 67/68) put 14 (VHT 160) or 28 (HE 160) unused entries
/// between the two 80 MHz halves; those raw positions are dropped (`gap`).
public struct OFDMToneLayout: Sendable, Equatable {
    /// Signed tone index of every kept tone, ascending.
    public let indices: [Int]
    /// Raw buffer positions (per chain) that are not tones and are dropped; empty for most layouts.
    public let gap: Range<Int>
    /// A short name such as `HT20`, `VHT80` or `HE160`; `unknown` for the fallback layout.
    public let name: String
    /// Signed indices of the pilot tones among ``indices`` (802.11 tables); empty for the fallback layout.
    public let pilots: [Int]
    /// Tone spacing in Hz: 78 125 for HE layouts (names starting `HE`), otherwise 312 500.
    public var spacingHz: Double { name.hasPrefix("HE") ? 78_125 : 312_500 }

    /// Centre (legacy tone index) of 20 MHz sub-band `index` (0 = lowest) of a `bandwidthMHz` channel: -32/+32 at
    /// 40 MHz, -96/-32/+32/+96 at 80 MHz.
    public static func subBandCentre(bandwidthMHz: Int, index: Int) -> Int {
        -bandwidthMHz * 16 / 10 + 32 + 64 * index
    }

    /// Number of raw entries per chain: kept tones plus the gap.
    public var rawCount: Int { indices.count + gap.count }

    /// Creates a layout from ascending `indices`, dropping the raw positions `gap`; `pilots` lists the pilot tones.
    public init(name: String, indices: [Int], gap: Range<Int> = 0..<0, pilots: [Int] = []) {
        self.name = name
        self.indices = indices
        self.gap = gap
        self.pilots = pilots
    }

    /// `values` and their negatives, ascending.
    private static func symmetric(_ values: [Int]) -> [Int] {
        (values.map { -$0 } + values).sorted()
    }

    /// Tones `-outer...-inner` and `inner...outer`.
    private static func band(_ outer: Int, _ inner: Int) -> [Int] {
        Array((-outer)...(-inner)) + Array(inner...outer)
    }

    /// Non-HT (802.11a/g) 20 MHz: 52 tones.
    public static let nonHT20 = OFDMToneLayout(name: "NonHT20", indices: band(26, 1),
                                                pilots: symmetric([7, 21]))
    /// HT/VHT 20 MHz: 56 tones.
    public static let ht20 = OFDMToneLayout(name: "HT20", indices: band(28, 1), pilots: symmetric([7, 21]))
    /// HT/VHT 40 MHz: 114 tones.
    public static let ht40 = OFDMToneLayout(name: "HT40", indices: band(58, 2), pilots: symmetric([11, 25, 53]))
    /// VHT 80 MHz: 242 tones.
    public static let vht80 = OFDMToneLayout(name: "VHT80", indices: band(122, 2),
                                              pilots: symmetric([11, 39, 75, 103]))
    /// VHT 160 MHz: 484 tones.
    public static let vht160 = OFDMToneLayout(
        name: "VHT160", indices: Array(-250...(-130)) + Array(-126...(-6)) + Array(6...126) + Array(130...250),
        pilots: symmetric([25, 53, 89, 117, 139, 167, 203, 231]))
    /// HE 20 MHz: 242 tones.
    public static let he20 = OFDMToneLayout(name: "HE20", indices: band(122, 2), pilots: symmetric([22, 48, 90, 116]))
    /// HE 40 MHz: 484 tones.
    public static let he40 = OFDMToneLayout(name: "HE40", indices: band(244, 3),
                                             pilots: symmetric([10, 36, 78, 104, 144, 170, 212, 238]))
    /// HE 80 MHz: 996 tones.
    public static let he80 = OFDMToneLayout(name: "HE80", indices: band(500, 3),
                                             pilots: symmetric([24, 92, 158, 226, 266, 334, 400, 468]))
    /// HE 160 MHz: 1992 tones.
    public static let he160 = OFDMToneLayout(
        name: "HE160", indices: Array(-1012...(-515)) + Array(-509...(-12)) + Array(12...509) + Array(515...1012),
        pilots: symmetric([44, 112, 178, 246, 286, 354, 420, 488, 536, 604, 670, 738, 778, 846, 912, 980]))

    /// The layout for `tones` raw entries per chain in a `bandwidthMHz` channel, or `nil` when no table has that
    /// count (use ``fallback(tones:)`` then). A count only another width has wins over a wrong width field.
    public static func layout(bandwidthMHz: Int, tones: Int) -> OFDMToneLayout? {
        if let exact = table(bandwidthMHz: bandwidthMHz, tones: tones) { return exact }
        // A count seen at another width (a wrong width field): trust the count.
        for width in [20, 40, 80, 160] where width != bandwidthMHz {
            if let other = table(bandwidthMHz: width, tones: tones) { return other }
        }
        return nil
    }

    /// The table for exactly this width and raw tone count, or `nil`.
    private static func table(bandwidthMHz: Int, tones: Int) -> OFDMToneLayout? {
        switch (bandwidthMHz, tones) {
        case (20, 52): return nonHT20
        case (20, 56): return ht20
        case (20, 242): return he20
        case (40, 114): return ht40
        case (40, 484): return he40
        case (80, 242): return vht80
        case (80, 996): return he80
        case (160, 484): return vht160
        case (160, 498): return OFDMToneLayout(name: "VHT160", indices: vht160.indices, gap: 242..<256, pilots: vht160.pilots)
        case (160, 1992): return he160
        case (160, 2020): return OFDMToneLayout(name: "HE160", indices: he160.indices, gap: 996..<1024, pilots: he160.pilots)
        default: return nil
        }
    }

    /// `tones` consecutive indices centred on 0 without a DC tone (`-n/2..-1, 1..n/2`; odd counts keep 0):
    /// for tone counts no table knows.
    public static func fallback(tones: Int) -> OFDMToneLayout {
        let half = tones / 2
        let indices = tones % 2 == 0 ? Array(stride(from: -half, through: -1, by: 1)) + Array(stride(from: 1, through: half, by: 1))
                                     : Array(stride(from: -half, through: half, by: 1))
        return OFDMToneLayout(name: "unknown", indices: indices)
    }

    /// Copies a chain-major raw buffer of `i16 real, i16 imag` LE pairs, ordered (rx, tx, raw tone), into
    /// `real`/`imag` in ``CSIFrame``'s (tx, rx, tone) order, dropping the gap. `raw` must hold
    /// `4 * nrx * ntx * rawCount` bytes; the output arrays `ntx * nrx * indices.count` values.
    func unpackInt16Pairs(_ raw: UnsafeRawBufferPointer, nrx: Int, ntx: Int,
                          real: UnsafeMutableBufferPointer<Float>, imag: UnsafeMutableBufferPointer<Float>) {
        let nsub = indices.count
        let rawTones = rawCount
        let gapStart = gap.lowerBound, gapEnd = gap.upperBound
        for r in 0..<nrx {
            for t in 0..<ntx {
                let inBase = (r * ntx + t) * rawTones * 4
                let outBase = (t * nrx + r) * nsub
                var out = outBase
                for s in 0..<rawTones where s < gapStart || s >= gapEnd {
                    let at = inBase + 4 * s
                    real[out] = Float(Int16(bitPattern: UInt16(raw[at]) | UInt16(raw[at + 1]) << 8))
                    imag[out] = Float(Int16(bitPattern: UInt16(raw[at + 2]) | UInt16(raw[at + 3]) << 8))
                    out += 1
                }
            }
        }
    }
}
