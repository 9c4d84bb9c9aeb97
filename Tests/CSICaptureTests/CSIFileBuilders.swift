import CSICapture

/// Little-endian byte appends for the builders.
extension Array where Element == UInt8 {
    /// Appends `value` little-endian.
    mutating func appendLittle<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// Builds PicoScenes frames (csi-formats.md §6) from values, for the reader tests.
enum PicoScenesBuilder {
    /// One segment: `u32 length`, `u8 name length`, name + NUL, `u16 version`, body.
    static func segment(_ name: String, version: UInt16, body: [UInt8]) -> [UInt8] {
        let nameBytes = Array(name.utf8) + [0]
        var out: [UInt8] = []
        out.appendLittle(UInt32(1 + nameBytes.count + 2 + body.count))
        out.append(UInt8(nameBytes.count))
        out += nameBytes
        out.appendLittle(version)
        return out + body
    }

    /// A frame holding `segments` and a 24-byte 802.11 header from `transmitter` with sequence `sequence`.
    static func frame(segments: [[UInt8]], transmitter: [UInt8] = [2, 0, 0, 0, 0, 7], sequence: UInt16 = 5,
                      lengthOverride: UInt32? = nil) -> [UInt8] {
        var mpdu: [UInt8] = [0x08, 0x00, 0, 0] + [UInt8](repeating: 0xff, count: 6) + transmitter + [UInt8](repeating: 1, count: 6)
        mpdu.appendLittle(sequence << 4)
        let content = [0x15, 0x03, 0x15, 0x20, 0x01, 0x00, UInt8(segments.count)] + segments.flatMap { $0 } + mpdu
        var out: [UInt8] = []
        out.appendLittle(lengthOverride ?? UInt32(content.count))
        return out + content
    }

    /// An `RxSBasic` body of `version` (1...5) with the given fields; noise -90, frame RSSI -40.
    static func rxBasic(version: Int, deviceType: UInt16, timestamp: UInt64, systemTime: UInt64 = 0, cbw: UInt16 = 20,
                        numRx: UInt8 = 2, chainRSSI: [Int8] = [-41, -42, -43]) -> [UInt8] {
        var b: [UInt8] = []
        b.appendLittle(deviceType)
        b.appendLittle(timestamp)
        if version >= 4 { b.appendLittle(systemTime) }
        b.appendLittle(Int16(2412))
        let relative = version <= 2
        let noise: Int8 = -90
        let chains = (0..<(version >= 5 ? 8 : 3)).map { i -> UInt8 in
            let value = i < chainRSSI.count ? chainRSSI[i] : -100
            return UInt8(bitPattern: relative ? value - noise : value)
        }
        if version <= 2 {
            b += [1]; b.appendLittle(cbw); b.appendLittle(UInt16(800)); b += [4, 1, 0, numRx]
            if version == 2 { b += [1, 0] }
        } else {
            if version >= 5 { b.appendLittle(Int16(2412)) }
            b.appendLittle(Int16(2412)); b.appendLittle(cbw); b += [1]; b.appendLittle(cbw); b.appendLittle(UInt16(800))
            b += [4, 1, 0, numRx, 1, 0]
        }
        b.append(UInt8(bitPattern: noise))
        b.append(UInt8(bitPattern: relative ? -40 - noise : -40))
        return b + chains
    }

    /// A `CSI` body of `version` (1...4) around `buffer`.
    static func csi(version: Int, deviceType: UInt16, format: Int8 = 1, cbw: UInt16 = 20, tones: UInt16, numTx: UInt8,
                    numRx: UInt8, antennaSelection: UInt8 = 0, subcarrierOffset: Int16 = 0, buffer: [UInt8]) -> [UInt8] {
        var b: [UInt8] = []
        b.appendLittle(deviceType)
        if version == 4 { b.append(67) }
        b.append(UInt8(bitPattern: format))
        b.appendLittle(cbw)
        b.appendLittle(UInt64(2_412_000_000)); b.appendLittle(UInt64(20_000_000)); b.appendLittle(UInt32(312_500))
        b.appendLittle(tones); b += [numTx, numRx, 0]
        if version >= 3 { b.appendLittle(UInt16(1)) }
        b.append(antennaSelection)
        if version >= 2 { b.appendLittle(subcarrierOffset) }
        b.appendLittle(UInt32(buffer.count))
        return b + buffer
    }

    /// An AX2xx buffer whose value at (rx r, tx t, raw tone s) is `re = 1000 r + 100 t + s`, `im = -s`,
    /// laid out rx, tx, tone.
    static func mvmBuffer(tones: Int, numTx: Int, numRx: Int) -> [UInt8] {
        var b: [UInt8] = []
        for r in 0..<numRx { for t in 0..<numTx { for s in 0..<tones {
            b.appendLittle(Int16(1000 * r + 100 * t + s)); b.appendLittle(Int16(-s))
        } } }
        return b
    }

    /// An `MVMExtra` v1 body whose Intel CSI header holds `muClock`.
    static func mvmExtra(muClock: UInt32) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: IntelMVMCSIHeader.size)
        withUnsafeBytes(of: muClock.littleEndian) { header.replaceSubrange(88..<92, with: $0) }
        var b: [UInt8] = []
        b.appendLittle(UInt16(header.count))
        return b + header
    }
}

/// Builds FeitCSI records (csi-formats.md §6b) from values.
enum FeitCSIBuilder {
    /// One record: the 272-byte header and the CSI of `mvmBuffer` values (see ``PicoScenesBuilder/mvmBuffer``).
    /// `modulation` 2 HT, 3 VHT, 4 HE; `widthCode` 0 = 20 ... 3 = 160 MHz.
    static func record(tones: Int, numTx: Int = 1, numRx: Int = 2, modulation: UInt32 = 2, widthCode: UInt32 = 0,
                       muClock: UInt32 = 1_000_000, rssi: (UInt32, UInt32) = (47, 46),
                       csiLengthOverride: UInt32? = nil) -> [UInt8] {
        let csi = PicoScenesBuilder.mvmBuffer(tones: tones, numTx: numTx, numRx: numRx)
        var header = [UInt8](repeating: 0, count: IntelMVMCSIHeader.size)
        func put(_ value: UInt32, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { header.replaceSubrange(offset..<(offset + 4), with: $0) }
        }
        put(csiLengthOverride ?? UInt32(csi.count), at: 0)
        header[46] = UInt8(numRx)
        header[47] = UInt8(numTx)
        put(UInt32(tones), at: 52)
        put(rssi.0, at: 60)
        put(rssi.1, at: 64)
        header.replaceSubrange(68..<74, with: [0x00, 0x16, 0xea, 0x12, 0x34, 0x56])
        put(muClock, at: 88)
        put(modulation << 8 | widthCode << 11 | 1 << 14, at: 92)
        return header + csi
    }
}
