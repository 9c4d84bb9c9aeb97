/// Little-endian field reads from a byte buffer whose length the caller has checked.
extension UnsafeRawBufferPointer {
    /// `u16` at `at`.
    @inline(__always) func littleU16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    /// `u32` at `at`.
    @inline(__always) func littleU32(_ at: Int) -> UInt32 { UInt32(littleU16(at)) | UInt32(littleU16(at + 2)) << 16 }
    /// `u64` at `at`.
    @inline(__always) func littleU64(_ at: Int) -> UInt64 { UInt64(littleU32(at)) | UInt64(littleU32(at + 4)) << 32 }
    /// `i8` at `at`.
    @inline(__always) func int8(_ at: Int) -> Int { Int(Int8(bitPattern: self[at])) }
}

/// The fields csihar uses from a PicoScenes `RxSBasic` segment, versions 1-5 (csi-formats.md §6; PicoScenes
/// `RxSBasicSegment.cxx`).
///
/// Layouts after the segment header: v1 `deviceType u16, tstamp u64, centerFreq i16, packetFormat i8, cbw u16,
/// GI u16, mcs, numSTS, numESS, numRx u8, noiseFloor, rssi, rssi_ctl0..2 i8` (26 bytes); v2 adds `numUser,
/// userIndex u8` before the noise floor (28); v3 adds `controlFreq i16` after the centre frequency and
/// `pkt_cbw u16` after the format, and moves `cbw` before the format (32); v4 adds `systemTime u64` (ns) after
/// `tstamp` (40); v5 adds `centerFreq2 i16` and `rssi_ctl3..7` (47). In v1 and v2 the RSSI fields are relative
/// to the noise floor; from v3 on they are dBm.
public struct PicoScenesRxBasic: Sendable, Equatable {
    /// PicoScenes device type (0x2000 AX200, 0x2100 AX210, 0x5300 IWL5300, 0x9300 QCA9300, 0x1234 USRP).
    public var deviceType: UInt16
    /// Hardware timestamp (microseconds for the Intel NICs).
    public var hardwareTimestamp: UInt64
    /// Host wall-clock time in nanoseconds (v4+; 0 before).
    public var systemTimeNanoseconds: UInt64
    /// Centre frequency in MHz.
    public var centerFrequencyMHz: Int
    /// Control channel frequency in MHz (the centre frequency before v3).
    public var controlFrequencyMHz: Int
    /// Channel bandwidth in MHz.
    public var channelBandwidthMHz: Int
    /// Packet format: 0 non-HT, 1 HT, 2 VHT, 3 HE-SU, 4 HE-MU, 5 EHT.
    public var packetFormat: Int
    /// Modulation and coding scheme.
    public var mcs: Int
    /// Space-time streams.
    public var numSTS: Int
    /// Receive chains.
    public var numRx: Int
    /// Noise floor in dBm (PicoScenes writes -128 when the NIC reports none).
    public var noiseFloor: Int
    /// Frame RSSI in dBm.
    public var rssi: Int
    /// Per-chain RSSI in dBm (3 entries before v5, 8 from v5).
    public var chainRSSI: [Int]

    /// Bytes of each version's body, indexed by version.
    static let bodySizes = [1: 26, 2: 28, 3: 32, 4: 40, 5: 47]

    /// Decodes a body of `version` (1...5). Throws `unsupported-version` for other versions and `bad-segment`
    /// when the body is shorter than the version's layout.
    public init(_ body: UnsafeRawBufferPointer, version: Int) throws(RecordDecodeError) {
        guard let size = Self.bodySizes[version] else {
            throw RecordDecodeError(kind: "unsupported-version", reason: "RxSBasic segment version \(version) (1...5 are known)")
        }
        guard body.count >= size else {
            throw RecordDecodeError(kind: "bad-segment", reason: "RxSBasic v\(version) body has \(body.count) bytes, needs \(size)")
        }
        deviceType = body.littleU16(0)
        hardwareTimestamp = body.littleU64(2)
        let time = version >= 4 ? 8 : 0          // systemTime shifts everything after tstamp
        systemTimeNanoseconds = version >= 4 ? body.littleU64(10) : 0
        centerFrequencyMHz = Int(Int16(bitPattern: body.littleU16(10 + time)))
        if version <= 2 {
            controlFrequencyMHz = centerFrequencyMHz
            packetFormat = body.int8(12)
            channelBandwidthMHz = Int(body.littleU16(13))
            mcs = Int(body[17]); numSTS = Int(body[18]); numRx = Int(body[20])
            let noiseAt = version == 1 ? 21 : 23
            let noise = body.int8(noiseAt)
            noiseFloor = noise
            rssi = noise + body.int8(noiseAt + 1)
            chainRSSI = (0..<3).map { noise + body.int8(noiseAt + 2 + $0) }
        } else {
            let second = version >= 5 ? 2 : 0    // centerFreq2
            controlFrequencyMHz = Int(Int16(bitPattern: body.littleU16(12 + time + second)))
            let base = 14 + time + second           // cbw
            channelBandwidthMHz = Int(body.littleU16(base))
            packetFormat = body.int8(base + 2)
            mcs = Int(body[base + 7]); numSTS = Int(body[base + 8]); numRx = Int(body[base + 10])
            noiseFloor = body.int8(base + 13)
            rssi = body.int8(base + 14)
            chainRSSI = (0..<(version >= 5 ? 8 : 3)).map { body.int8(base + 15 + $0) }
        }
    }
}

/// The header of a PicoScenes `CSI` segment, versions 1-4, and the position of its CSI buffer.
///
/// Layouts after the segment header (csiread `CSIV1..4`, PicoScenes `CSISegment.cxx`): `deviceType u16`,
/// [v4: `firmwareVersion u8`], `packetFormat i8, cbw u16, carrierFreq u64, samplingRate u64,
/// subcarrierBandwidth u32, numTones u16, numTx u8, numRx u8, numESS u8`, [v3+: `numCSI u16`], `antSel u8`,
/// [v2+: `subcarrierOffset i16`], `CSIBufferLength u32`, then the buffer.
public struct PicoScenesCSIHeader: Sendable, Equatable {
    /// PicoScenes device type of the CSI.
    public var deviceType: UInt16
    /// Firmware version (v4; 0 before).
    public var firmwareVersion: Int
    /// Packet format: 0 non-HT, 1 HT, 2 VHT, 3 HE-SU.
    public var packetFormat: Int
    /// Channel bandwidth in MHz.
    public var channelBandwidthMHz: Int
    /// Carrier frequency in Hz.
    public var carrierFrequency: UInt64
    /// Tones per (rx, tx) pair in the buffer.
    public var numTones: Int
    /// Transmit streams (space-time streams).
    public var numTx: Int
    /// Receive chains.
    public var numRx: Int
    /// Extra spatial streams (802.11n sounding).
    public var numESS: Int
    /// Antenna selection byte (IWL5300).
    public var antennaSelection: Int
    /// Offset added to every subcarrier index (v2+; 0 before).
    public var subcarrierOffset: Int
    /// Byte range of the CSI buffer inside the body.
    public var bufferRange: Range<Int>

    /// Decodes the header of a body of `version` (1...4) and checks that the buffer fits in the body.
    public init(_ body: UnsafeRawBufferPointer, version: Int) throws(RecordDecodeError) {
        guard (1...4).contains(version) else {
            throw RecordDecodeError(kind: "unsupported-version", reason: "CSI segment version \(version) (1...4 are known)")
        }
        let headerSize = [35, 37, 39, 40][version - 1]
        guard body.count >= headerSize else {
            throw RecordDecodeError(kind: "bad-segment", reason: "CSI v\(version) body has \(body.count) bytes, its header needs \(headerSize)")
        }
        let v4 = version == 4 ? 1 : 0
        deviceType = body.littleU16(0)
        firmwareVersion = version == 4 ? Int(body[2]) : 0
        packetFormat = body.int8(2 + v4)
        channelBandwidthMHz = Int(body.littleU16(3 + v4))
        carrierFrequency = body.littleU64(5 + v4)
        numTones = Int(body.littleU16(25 + v4))
        numTx = Int(body[27 + v4])
        numRx = Int(body[28 + v4])
        numESS = Int(body[29 + v4])
        let numCSI = version >= 3 ? 2 : 0
        antennaSelection = Int(body[30 + v4 + numCSI])
        subcarrierOffset = version >= 2 ? Int(Int16(bitPattern: body.littleU16(31 + v4 + numCSI))) : 0
        let length = Int(body.littleU32(headerSize - 4))
        guard length <= body.count - headerSize else {
            throw RecordDecodeError(kind: "bad-segment",
                                    reason: "CSI buffer length \(length) exceeds the \(body.count - headerSize) bytes left in the segment")
        }
        bufferRange = headerSize..<(headerSize + length)
    }

    /// A readable name of a PicoScenes device type, e.g. `AX200`, `IWL5300`, `QCA9300`, `USRP`.
    public static func deviceName(_ deviceType: UInt16) -> String {
        switch deviceType {
        case 0x2000: return "AX200"
        case 0x2100: return "AX210"
        case 0x5300: return "IWL5300"
        case 0x9300: return "QCA9300"
        case 0x1234: return "USRP"
        case 0x1000: return "VirtualSDR"
        case 0x0802: return "MAC80211Compatible"
        case 0x24D2: return "SoapySDR"
        default: return "0x" + String(deviceType, radix: 16)
        }
    }
}

/// Counts the segments of a PicoScenes capture per name and version without building strings per frame, and
/// tells the decoder which of the segments it reads a segment is.
public struct PicoScenesSegmentTally: Sendable {
    /// The segments the decoder reads.
    enum Kind { case rxSBasic, csi, mvmExtra, other }

    /// Distinct (name, version) pairs seen so far with their counts (a capture has a handful).
    private var entries: [(name: [UInt8], version: Int, kind: Kind, count: Int)] = []
    /// Distinct pairs kept; further ones are counted under `"other"`.
    static let maximumEntries = 64
    /// Segments beyond ``maximumEntries`` distinct pairs.
    private var overflow = 0

    /// Creates an empty tally.
    public init() {}

    /// Counts one segment named by `name` (its bytes, NUL padding included) and returns which kind it is.
    mutating func count(name: UnsafeRawBufferPointer, version: Int) -> Kind {
        let trimmed = name.prefix { $0 != 0 }
        for i in entries.indices where entries[i].version == version && entries[i].name.elementsEqual(trimmed) {
            entries[i].count += 1
            return entries[i].kind
        }
        let bytes = Array(trimmed)
        let kind: Kind
        switch String(decoding: bytes, as: UTF8.self) {
        case "RxSBasic": kind = .rxSBasic
        case "CSI": kind = .csi
        case "MVMExtra": kind = .mvmExtra
        default: kind = .other
        }
        if entries.count < Self.maximumEntries {
            entries.append((bytes, version, kind, 1))
        } else {
            overflow += 1
        }
        return kind
    }

    /// Segments per `"Name vN"` (e.g. `"RxSBasic v3": 885`), plus `"other"` beyond 64 distinct pairs.
    public var counts: [String: Int] {
        var result: [String: Int] = [:]
        for entry in entries { result["\(String(decoding: entry.name, as: UTF8.self)) v\(entry.version)", default: 0] += entry.count }
        if overflow > 0 { result["other"] = overflow }
        return result
    }
}
