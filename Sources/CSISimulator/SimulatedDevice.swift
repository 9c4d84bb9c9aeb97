/// The capture device a simulation imitates: its subcarrier grid, antenna count, carrier and how it reports CSI.
public enum SimulatedDevice: String, Sendable, CaseIterable, Hashable {
    /// Intel 5300, 1 Tx x 3 Rx, the 30 grouped subcarriers at 20 MHz, int8 CSI with RSSI/AGC (channel 64, 5.32 GHz).
    case intel5300
    /// Nexmon bcm43455c0 (Raspberry Pi): one core, int16 CSI on all FFT bins (5 GHz, 20/40/80 MHz).
    case nexmon43455c0 = "nexmon-43455c0"
    /// Nexmon bcm4366c0 (RT-AC86U-style): cores 0..2 of stream 0, one packet per core, packed-float CSI.
    case nexmon4366c0 = "nexmon-4366c0"
    /// ESP32 (ESP32-CSI-Tool): one antenna, LLTF block of 64 int8 items (2.4 GHz channel 6).
    case esp32
    /// Intel AX210 under FeitCSI: 1 Tx stream x 2 Rx chains, int16 CSI on every tone of an HT/VHT/HE-SU packet
    /// (20-160 MHz, 5 GHz channel 36/38/42/50), pilots reported as 0 (``AX210PHYFormat``).
    case ax210

    /// Half-width (rad per legacy subcarrier index) of the uniform per-packet common delay slope (SFO, packet
    /// detection delay): 0.2 (std 0.115, the high end of the Intel 5300/Nexmon captures); AX210 0.05 (std 0.029: the
    /// FeitCSI example captures measure 0.025-0.030, scripts/compare-capture-stats.py).
    public var delaySlopeJitter: Double { self == .ax210 ? 0.05 : 0.2 }

    /// Receive antennas simulated.
    public var antennas: Int {
        switch self {
        case .intel5300, .nexmon4366c0: return 3
        case .ax210: return 2
        case .nexmon43455c0, .esp32: return 1
        }
    }

    /// Nexmon chip id in the payload header.
    public var nexmonChip: UInt16? {
        switch self {
        case .nexmon43455c0: return 101
        case .nexmon4366c0: return 106
        default: return nil
        }
    }

    /// Bandwidths (MHz) the device can capture: Intel and ESP32 20; Nexmon 20, 40, 80; AX210 20, 40, 80, 160.
    public var bandwidthsMHz: [Int] {
        switch self {
        case .intel5300, .esp32: return [20]
        case .nexmon43455c0, .nexmon4366c0: return [20, 40, 80]
        case .ax210: return [20, 40, 80, 160]
        }
    }

    /// Default carrier for `bandwidthMHz` (Hz): Intel channel 64; Nexmon and AX210 channel 36/38/42/50
    /// (20/40/80/160 MHz); ESP32 channel 6.
    public func carrierHz(bandwidthMHz: Int) -> Double {
        switch self {
        case .intel5300: return 5.32e9
        case .esp32: return 2.437e9
        case .nexmon43455c0, .nexmon4366c0, .ax210:
            switch bandwidthMHz {
            case 40: return 5.19e9
            case 80: return 5.21e9
            case 160: return 5.25e9
            default: return 5.18e9
            }
        }
    }

    /// The signed subcarrier indices the device reports, ascending (AX210: the tones of the default
    /// ``AX210PHYFormat`` at `bandwidthMHz`, HE tone indices at 80/160 MHz).
    public func subcarriers(bandwidthMHz: Int) -> [Int] {
        switch self {
        case .ax210:
            return AX210PHYFormat.default(bandwidthMHz: bandwidthMHz).toneLayout(bandwidthMHz: bandwidthMHz)?.indices ?? []
        case .intel5300:
            return [-28, -26, -24, -22, -20, -18, -16, -14, -12, -10, -8, -6, -4, -2, -1,
                    1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 28]
        case .esp32:
            return Array(-32...31)
        case .nexmon43455c0, .nexmon4366c0:
            let nfft = bandwidthMHz * 16 / 5
            return Array((-nfft / 2)..<(nfft / 2))
        }
    }

    /// Whether signed subcarrier `k` carries signal (not a null or guard) at `bandwidthMHz` (csi-formats.md §2.5, §4.3).
    public func isUsed(_ k: Int, bandwidthMHz: Int) -> Bool {
        switch self {
        case .intel5300, .ax210: return true                   // AX210: every reported tone is occupied
        case .esp32: return (1...26).contains(abs(k))            // LLTF
        case .nexmon43455c0, .nexmon4366c0:
            switch bandwidthMHz {
            case 40: return (2...58).contains(abs(k))
            case 80: return (2...122).contains(abs(k))
            default: return (1...28).contains(abs(k))
            }
        }
    }
}
