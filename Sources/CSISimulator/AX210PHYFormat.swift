import CSICapture

/// The 802.11 PPDU format of the packets a simulated Intel AX210 measures: it sets the reported tone set, the tone
/// spacing and the `rate_n_flags` of the FeitCSI record (docs/simulator.md).
///
/// Defaults per bandwidth (``default(bandwidthMHz:)``): HT at 20 and 40 MHz (56 / 114 tones, what most injection
/// setups send and the smallest files), HE-SU at 80 and 160 MHz (996 / 1992 tones, the AX210's own format; VHT80
/// has only 242 tones and VHT160 a hole at DC of the two halves). Every format/width pair the FeitCSI reader
/// knows is available with `--phy-format`.
public enum AX210PHYFormat: String, Sendable, CaseIterable, Hashable {
    /// 802.11n HT (20 or 40 MHz): legacy tone spacing, 56 / 114 tones.
    case ht
    /// 802.11ac VHT (20, 40, 80 or 160 MHz): legacy tone spacing; 20/40 MHz tone sets equal HT's.
    case vht
    /// 802.11ax HE-SU (20, 40, 80 or 160 MHz): HE tones, 78.125 kHz apart, 242 / 484 / 996 / 1992 tones.
    case he

    /// The format `csihar simulate` uses at `bandwidthMHz` when none is given: HT at 20/40 MHz, HE-SU at 80/160 MHz.
    public static func `default`(bandwidthMHz: Int) -> AX210PHYFormat {
        bandwidthMHz >= 80 ? .he : .ht
    }

    /// Whether the format exists at `bandwidthMHz` (HT: 20, 40; VHT and HE: 20, 40, 80, 160).
    public func supports(bandwidthMHz: Int) -> Bool {
        switch self {
        case .ht: return bandwidthMHz == 20 || bandwidthMHz == 40
        case .vht, .he: return [20, 40, 80, 160].contains(bandwidthMHz)
        }
    }

    /// The tones the firmware reports for this format at `bandwidthMHz` (the FeitCSI reader's table); `nil` for an
    /// unsupported width.
    public func toneLayout(bandwidthMHz: Int) -> OFDMToneLayout? {
        guard supports(bandwidthMHz: bandwidthMHz) else { return nil }
        switch (self, bandwidthMHz) {
        case (.ht, 20), (.vht, 20): return .ht20
        case (.ht, 40), (.vht, 40): return .ht40
        case (.vht, 80): return .vht80
        case (.vht, 160): return .vht160
        case (.he, 20): return .he20
        case (.he, 40): return .he40
        case (.he, 80): return .he80
        default: return .he160
        }
    }

    /// Tone spacing in Hz: 78 125 for HE, 312 500 otherwise.
    public var spacingHz: Double { self == .he ? 78_125 : 312_500 }

    /// iwlwifi modulation type code (`rate_n_flags` bits 8-10): 2 HT, 3 VHT, 4 HE.
    public var modulationCode: Int {
        switch self {
        case .ht: return 2
        case .vht: return 3
        case .he: return 4
        }
    }

    /// iwlwifi `rate_n_flags` of a frame of this format at `bandwidthMHz`, as in the FeitCSI example captures:
    /// MCS (7 for HT, 0 otherwise), modulation type, width code (bits 11-13), antennas A and B (bits 14-15) and the
    /// upper flag bits those captures carry (0x10 HT, 0x11 VHT/HE).
    public func rateFlags(bandwidthMHz: Int) -> Int {
        let widthCode: Int
        switch bandwidthMHz {
        case 40: widthCode = 1
        case 80: widthCode = 2
        case 160: widthCode = 3
        default: widthCode = 0
        }
        let mcs = self == .ht ? 7 : 0
        let upper = self == .ht ? 0x10 : 0x11
        return upper << 16 | 0b11 << 14 | widthCode << 11 | modulationCode << 8 | mcs
    }
}
