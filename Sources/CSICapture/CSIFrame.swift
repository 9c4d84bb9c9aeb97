/// The kind of hardware or tool that produced a frame.
public enum CSIDevice: Sendable, Hashable, CustomStringConvertible {
    /// Intel 5300 with the Linux 802.11n CSI Tool (`.dat` files, netlink).
    case intel5300
    /// Broadcom chip patched with Nexmon CSI; `chip` is the payload chip id (1, 3, 101, 106) when known.
    case nexmon(chip: UInt16)
    /// ESP32 with ESP32-CSI-Tool or esp-csi.
    case esp32
    /// Qualcomm Atheros with the Atheros CSI Tool.
    case atheros
    /// Frames made by `csihar simulate` that carry no device-specific fields.
    case simulated
    /// A NIC recorded by PicoScenes; `deviceType` is PicoScenes' code (0x2000 AX200, 0x2100 AX210, 0x5300 IWL5300).
    case picoScenes(deviceType: UInt16)
    /// Intel AX200/AX210 recorded by FeitCSI.
    case feitCSI

    /// A short lowercase name: `intel5300`, `nexmon`, `esp32`, `atheros`, `simulated`, `picoscenes`, `feitcsi`.
    public var description: String {
        switch self {
        case .intel5300: return "intel5300"
        case .nexmon: return "nexmon"
        case .esp32: return "esp32"
        case .atheros: return "atheros"
        case .simulated: return "simulated"
        case .picoScenes: return "picoscenes"
        case .feitCSI: return "feitcsi"
        }
    }
}

/// Identifies the radio link a frame was measured on: the transmitter and, for Nexmon, the receive core
/// and spatial stream. The daemon keys its per-stream state by this value (plus the capture source).
public struct CSISourceID: Sendable, Hashable, CustomStringConvertible {
    /// Transmitter MAC address as six bytes, or `nil` when the format does not carry one (Intel 5300 0xBB records).
    public var transmitter: [UInt8]?
    /// Nexmon receive core (0...7), `nil` for other formats.
    public var core: UInt8?
    /// Nexmon spatial stream (0...7), `nil` for other formats.
    public var spatialStream: UInt8?

    /// Creates a source identifier.
    public init(transmitter: [UInt8]? = nil, core: UInt8? = nil, spatialStream: UInt8? = nil) {
        self.transmitter = transmitter
        self.core = core
        self.spatialStream = spatialStream
    }

    /// Hashes the address as one word instead of byte by byte (the daemon hashes every frame's source twice: to
    /// pick its worker and to find its stream).
    public func hash(into hasher: inout Hasher) {
        if let transmitter {
            var packed = UInt64(transmitter.count) << 56
            for (index, byte) in transmitter.prefix(7).enumerated() { packed |= UInt64(byte) << (8 * index) }
            hasher.combine(packed)
            if transmitter.count > 7 { hasher.combine(transmitter[7...]) }
        } else {
            hasher.combine(UInt64.max)
        }
        hasher.combine(UInt16(core ?? 0xFF) << 8 | UInt16(spatialStream ?? 0xFF))
    }

    /// The transmitter as `aa:bb:cc:dd:ee:ff`, or `"unknown"`.
    public var transmitterString: String {
        guard let mac = transmitter else { return "unknown" }
        return mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// `aa:bb:cc:dd:ee:ff` followed by `/core0/ss1` when core or stream are set.
    public var description: String {
        var text = transmitterString
        if let core { text += "/core\(core)" }
        if let spatialStream { text += "/ss\(spatialStream)" }
        return text
    }
}

/// One CSI measurement, the same value for every capture format.
///
/// The complex CSI is stored as two flat arrays in (tx, rx, subcarrier) order, subcarriers ascending by
/// signed index: element `(t, r, s)` is at `(t * nrx + r) * nsub + s`.
public struct CSIFrame: Sendable {
    /// Capture time in seconds: pcap timestamp (host receive time) for Nexmon, `.datstp` host time or
    /// `timestamp_low * 1e-6` for Intel 5300, `real_timestamp` or `local_timestamp * 1e-6` for ESP32.
    public var timestamp: Double
    /// Which device produced the frame.
    public var device: CSIDevice
    /// Transmitter (and Nexmon core/stream).
    public var source: CSISourceID
    /// Sequence number where the format has one: 802.11 sequence number (Nexmon), `bfee_count` (Intel 5300).
    public var sequence: Int?
    /// RSSI per receive chain, in the device's units (dB for Intel 5300, dBm for Nexmon/ESP32/Atheros).
    public var rssi: [Int]
    /// Noise in dBm when the format reports it (`nil` otherwise; Intel's -127 "unknown" is kept as -127).
    public var noise: Int?
    /// Automatic gain control in dB (Intel 5300), `nil` when absent.
    public var agc: Int?
    /// Channel bandwidth in MHz (20, 40, 80, 160).
    public var bandwidthMHz: Int
    /// Number of transmit streams.
    public var ntx: Int
    /// Number of receive antennas (chains).
    public var nrx: Int
    /// Signed subcarrier index of every CSI column, ascending. `subcarriers.count == nsub`.
    public var subcarriers: [Int]
    /// Real parts, (ntx, nrx, nsub) row-major.
    public var real: [Float]
    /// Imaginary parts, (ntx, nrx, nsub) row-major.
    public var imag: [Float]
    /// Format-specific extras (e.g. `rate`, `antenna_sel`, `timestamp_low`, `chanspec`, `chip`, `fc`).
    public var extras: [String: Int]

    /// Number of subcarriers per (tx, rx) pair.
    public var nsub: Int { subcarriers.count }

    /// Creates a frame. `real` and `imag` must each hold `ntx * nrx * subcarriers.count` values.
    public init(timestamp: Double, device: CSIDevice, source: CSISourceID = CSISourceID(), sequence: Int? = nil,
                rssi: [Int] = [], noise: Int? = nil, agc: Int? = nil, bandwidthMHz: Int = 20,
                ntx: Int, nrx: Int, subcarriers: [Int], real: [Float], imag: [Float],
                extras: [String: Int] = [:]) {
        precondition(real.count == ntx * nrx * subcarriers.count && imag.count == real.count,
                     "CSIFrame: CSI arrays must hold ntx*nrx*nsub values")
        self.timestamp = timestamp
        self.device = device
        self.source = source
        self.sequence = sequence
        self.rssi = rssi
        self.noise = noise
        self.agc = agc
        self.bandwidthMHz = bandwidthMHz
        self.ntx = ntx
        self.nrx = nrx
        self.subcarriers = subcarriers
        self.real = real
        self.imag = imag
        self.extras = extras
    }

    /// Flat index of element (tx, rx, subcarrier column) in `real`/`imag`.
    @inline(__always)
    public func index(tx: Int, rx: Int, subcarrier: Int) -> Int {
        (tx * nrx + rx) * subcarriers.count + subcarrier
    }
}
