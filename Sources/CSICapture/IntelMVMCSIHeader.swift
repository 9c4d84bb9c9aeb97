/// The CSI header that Intel AX200/AX210 firmware (iwlwifi "mvm") puts in front of every CSI dump: the 272-byte
/// record header of FeitCSI files and the body of PicoScenes' `MVMExtra` segment (after its `u16` length).
///
/// Offsets (little-endian; csi-formats.md §6b): `u32 csi_length` 0, `u32 ftm_clock` 8, `u8 num_rx` 46,
/// `u8 num_tx` 47, `u32 num_subcarriers` 52, `u32 rssi_1` 60, `u32 rssi_2` 64, source MAC 68..<74,
/// `u8 csi_sequence` 76, `u32 mu_clock` 88, `u32 rate_n_flags` 92.
public struct IntelMVMCSIHeader: Sendable, Equatable {
    /// Bytes the header occupies in a FeitCSI record.
    public static let size = 272
    /// Bytes needed to read every field used here.
    public static let fieldsSize = 96

    /// Bytes of CSI that follow (FeitCSI); `4 * numRx * numTx * numSubcarriers` when consistent.
    public var csiLength: UInt32
    /// Fine time measurement clock, 3.125 ns ticks (wraps every 13.4 s).
    public var ftmClock: UInt32
    /// Receive chains.
    public var numRx: Int
    /// Transmit streams.
    public var numTx: Int
    /// Tones per (rx, tx) pair, pilots included.
    public var numSubcarriers: Int
    /// Signal energy of chain A and B as the firmware reports it: a positive number, `-rssi` dBm (0: none).
    public var rssi: (UInt32, UInt32)
    /// Transmitter MAC address.
    public var sourceAddress: [UInt8]
    /// Firmware CSI sequence counter (8 bits).
    public var csiSequence: Int
    /// Microsecond clock of the receiver (wraps every 71.6 minutes).
    public var muClock: UInt32
    /// iwlwifi `rate_n_flags`: MCS bits 0-2 (HT) / 0-3, modulation type bits 8-10, channel width bits 11-13,
    /// antennas A/B bits 14/15.
    public var rateFlags: UInt32

    /// Reads the fields from the first ``fieldsSize`` bytes of `raw` (requires `raw.count >= fieldsSize`).
    public init(_ raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= Self.fieldsSize, "IntelMVMCSIHeader needs \(Self.fieldsSize) bytes")
        @inline(__always) func u32(_ at: Int) -> UInt32 {
            UInt32(raw[at]) | UInt32(raw[at + 1]) << 8 | UInt32(raw[at + 2]) << 16 | UInt32(raw[at + 3]) << 24
        }
        csiLength = u32(0)
        ftmClock = u32(8)
        numRx = Int(raw[46])
        numTx = Int(raw[47])
        numSubcarriers = Int(u32(52))
        rssi = (u32(60), u32(64))
        sourceAddress = Array(raw[68..<74])
        csiSequence = Int(raw[76])
        muClock = u32(88)
        rateFlags = u32(92)
    }

    /// `==` on every field (tuples are not `Equatable`).
    public static func == (a: Self, b: Self) -> Bool {
        a.csiLength == b.csiLength && a.ftmClock == b.ftmClock && a.numRx == b.numRx && a.numTx == b.numTx
            && a.numSubcarriers == b.numSubcarriers && a.rssi.0 == b.rssi.0 && a.rssi.1 == b.rssi.1
            && a.sourceAddress == b.sourceAddress && a.csiSequence == b.csiSequence && a.muClock == b.muClock
            && a.rateFlags == b.rateFlags
    }

    /// Modulation type (bits 8-10): 0 CCK, 1 legacy OFDM, 2 HT, 3 VHT, 4 HE, 5 EHT.
    public var modulationType: Int { Int((rateFlags >> 8) & 0x7) }

    /// A short name of ``modulationType``: `CCK`, `OFDM`, `HT`, `VHT`, `HE`, `EHT` or `unknown`.
    public var modulationName: String {
        let names = ["CCK", "OFDM", "HT", "VHT", "HE", "EHT"]
        return modulationType < names.count ? names[modulationType] : "unknown"
    }

    /// Channel width in MHz from bits 11-13 (20, 40, 80, 160, 320), or `nil` for a reserved value.
    public var bandwidthMHz: Int? {
        let code = Int((rateFlags >> 11) & 0x7)
        return code <= 4 ? 20 << code : nil
    }

    /// The RSSI of the first `chains` chains in dBm (`-rssi`); 0 when the firmware reported none.
    public func rssiDBm(chains: Int) -> [Int] {
        [rssi.0, rssi.1].prefix(max(0, min(chains, 2))).map { $0 == 0 || $0 > 255 ? 0 : -Int($0) }
    }

    /// Whether the header describes a plausible CSI record: 1...8 rx and tx, 1...4096 tones and a CSI length of
    /// exactly `4 * rx * tx * tones` bytes.
    public var isConsistent: Bool {
        Self.consistent(csiLength: csiLength, rx: numRx, tx: numTx, tones: numSubcarriers)
    }

    /// ``isConsistent`` read straight from the first ``fieldsSize`` bytes of `raw` (false when fewer), without
    /// building a header: what a reader resynchronising byte by byte calls at every offset.
    public static func isConsistent(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard raw.count >= fieldsSize else { return false }
        @inline(__always) func u32(_ at: Int) -> UInt32 {
            UInt32(raw[at]) | UInt32(raw[at + 1]) << 8 | UInt32(raw[at + 2]) << 16 | UInt32(raw[at + 3]) << 24
        }
        return consistent(csiLength: u32(0), rx: Int(raw[46]), tx: Int(raw[47]), tones: Int(u32(52)))
    }

    /// The rule of ``isConsistent``.
    @inline(__always)
    static func consistent(csiLength: UInt32, rx: Int, tx: Int, tones: Int) -> Bool {
        (1...8).contains(rx) && (1...8).contains(tx) && (1...4096).contains(tones) && Int(csiLength) == 4 * rx * tx * tones
    }
}
