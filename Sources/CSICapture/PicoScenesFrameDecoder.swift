/// Decodes one PicoScenes frame (csi-formats.md §6) into a ``CSIFrame``.
///
/// Frame: `u32 frameLength` (excludes itself), `u32 magic 0x20150315`, `u16 frameVersion 1`, `u8 numSegments`,
/// the segments, then the MPDU (802.11 header first). Segment: `u32 length` (excludes itself), `u8 nameLength`,
/// the name (NUL-terminated), `u16 version`, the body. `RxSBasic` (v1-5), `MVMExtra` (v1) and `CSI` (v1-4) are
/// read; every segment is counted by name and version (``PicoScenesSegmentTally``); the others are skipped.
///
/// CSI of Intel AX200/AX210 (`i16` pairs ordered rx, tx, tone; every tone, pilots included, see
/// ``OFDMToneLayout``) and Intel 5300 (the CSI Tool's packed `int8`, 30 grouped tones, chain order kept, no
/// antenna permutation, as csiread) becomes a frame; other devices (QCA9300, USRP, ...) throw
/// `unsupported-device`, a frame without a `CSI` segment throws `no-csi`.
///
/// Timestamp: `RxSBasic` system time (v4+, host nanoseconds) when set, else for AX200/AX210 the `MVMExtra`
/// microsecond clock, else the hardware timestamp in microseconds. Readers unwrap the 32-bit microsecond clock.
public enum PicoScenesFrameDecoder {
    /// The frame magic (`15 03 15 20` at file offset 4).
    public static let magic: UInt32 = 0x2015_0315
    /// Bytes of the frame header: length, magic, version, segment count.
    public static let headerSize = 11
    /// Largest accepted `frameLength`: 16 MiB (an AX210 160 MHz 4x4 frame is ~130 kB); larger is corrupt.
    public static let maximumFrameLength = 1 << 24

    /// Whether `raw` starts with a plausible frame header: the magic, frame version 1 and a length in
    /// `7...maximumFrameLength`.
    public static func plausibleHeader(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard raw.count >= headerSize else { return false }
        let length = Int(raw.littleU32(0))
        return raw.littleU32(4) == magic && raw.littleU16(8) == 1 && length >= headerSize - 4
            && length <= maximumFrameLength
    }

    /// Decodes the frame in `raw` (exactly `4 + frameLength` bytes), counting every segment in `segments`. The
    /// timestamp is not unwrapped (see ``PicoScenesReader``); `extras` holds `device_type`, `packet_format`, `cbw`,
    /// `carrier_frequency_mhz`, `antenna_sel`, `subcarrier_offset`, `firmware_version`, `tone_layout_known`, and
    /// with `RxSBasic` `mcs`, `tstamp`, `system_time_ns`, with `MVMExtra` `mu_clock`.
    public static func decode(_ raw: UnsafeRawBufferPointer,
                              segments: inout PicoScenesSegmentTally) throws(RecordDecodeError) -> CSIFrame {
        guard raw.count >= headerSize, raw.littleU32(4) == magic else {
            throw RecordDecodeError(kind: "bad-magic", reason: "no PicoScenes frame magic 0x20150315 at byte 4")
        }
        let end = min(raw.count, 4 + Int(raw.littleU32(0)))
        var basic: PicoScenesRxBasic?
        var csi: (header: PicoScenesCSIHeader, body: UnsafeRawBufferPointer)?
        var muClock: UInt32?
        var position = headerSize
        for index in 0..<Int(raw[10]) {
            guard position + 7 <= end else {
                throw RecordDecodeError(kind: "bad-segment", reason: "segment \(index) header runs past the frame end")
            }
            let length = Int(raw.littleU32(position)), nameLength = Int(raw[position + 4])
            guard length >= 3 + nameLength, position + 4 + length <= end else {
                throw RecordDecodeError(kind: "bad-segment",
                                        reason: "segment \(index) length \(length) does not fit the frame (\(end - position - 4) bytes left)")
            }
            let name = UnsafeRawBufferPointer(rebasing: raw[(position + 5)..<(position + 5 + nameLength)])
            let version = Int(raw.littleU16(position + 5 + nameLength))
            let body = UnsafeRawBufferPointer(rebasing: raw[(position + 7 + nameLength)..<(position + 4 + length)])
            switch segments.count(name: name, version: version) {
            case .rxSBasic: basic = try PicoScenesRxBasic(body, version: version)
            case .csi: csi = (try PicoScenesCSIHeader(body, version: version), body)
            case .mvmExtra where version == 1 && body.count >= 2 + IntelMVMCSIHeader.fieldsSize:
                muClock = UnsafeRawBufferPointer(rebasing: body[2...]).littleU32(88)
            default: break
            }
            position += 4 + length
        }
        guard let csi else {
            throw RecordDecodeError(kind: "no-csi", reason: "frame without a CSI segment; skipped")
        }
        let header = csi.header
        let buffer = UnsafeRawBufferPointer(rebasing: csi.body[header.bufferRange])
        let values: DecodedCSI
        switch header.deviceType {
        case 0x2000, 0x2100: values = try decodeIntelMVM(header, buffer: buffer)
        case 0x5300: values = try decodeIntel5300(header, buffer: buffer)
        default:
            throw RecordDecodeError(kind: "unsupported-device",
                                    reason: "CSI of device \(PicoScenesCSIHeader.deviceName(header.deviceType)) is not decoded (AX200, AX210 and IWL5300 are); skipped")
        }
        let mpdu = UnsafeRawBufferPointer(rebasing: raw[position..<end])
        let timestamp: Double
        if let basic, basic.systemTimeNanoseconds != 0 {
            timestamp = Double(basic.systemTimeNanoseconds) * 1e-9
        } else if let muClock, header.deviceType != 0x5300 {
            timestamp = Double(muClock) * 1e-6
        } else {
            timestamp = Double(basic?.hardwareTimestamp ?? 0) * 1e-6
        }
        var extras: [String: Int] = [
            "packet_format": header.packetFormat, "cbw": header.channelBandwidthMHz,
            "carrier_frequency_mhz": Int(header.carrierFrequency / 1_000_000), "antenna_sel": header.antennaSelection,
            "subcarrier_offset": header.subcarrierOffset, "firmware_version": header.firmwareVersion,
            "device_type": Int(header.deviceType), "tone_layout_known": values.layoutKnown ? 1 : 0,
        ]
        if let basic {
            extras["mcs"] = basic.mcs
            extras["tstamp"] = Int(truncatingIfNeeded: basic.hardwareTimestamp)
            extras["system_time_ns"] = Int(truncatingIfNeeded: basic.systemTimeNanoseconds)
        }
        if let muClock { extras["mu_clock"] = Int(muClock) }
        let full = mpdu.count >= 24
        return CSIFrame(
            timestamp: timestamp, device: .picoScenes(deviceType: header.deviceType),
            source: CSISourceID(transmitter: full ? Array(mpdu[10..<16]) : nil),
            sequence: full ? Int(mpdu.littleU16(22) >> 4) : nil,
            rssi: basic.map { Array($0.chainRSSI.prefix(values.nrx)) } ?? [],
            noise: basic.flatMap { $0.noiseFloor == -128 ? nil : $0.noiseFloor },
            bandwidthMHz: values.bandwidthMHz, ntx: values.ntx, nrx: values.nrx, subcarriers: values.subcarriers,
            real: values.real, imag: values.imag, extras: extras)
    }

    /// The CSI of one segment in ``CSIFrame``'s layout.
    struct DecodedCSI {
        var ntx: Int, nrx: Int, bandwidthMHz: Int
        var subcarriers: [Int]
        var real: [Float], imag: [Float]
        var layoutKnown: Bool
    }

    /// AX200/AX210: `i16` pairs ordered rx, tx, tone; the buffer must hold exactly `4 * tones * tx * rx` bytes.
    static func decodeIntelMVM(_ header: PicoScenesCSIHeader, buffer: UnsafeRawBufferPointer) throws(RecordDecodeError) -> DecodedCSI {
        let nrx = header.numRx, ntx = header.numTx, tones = header.numTones
        guard (1...8).contains(nrx), (1...8).contains(ntx), tones >= 1, buffer.count == 4 * nrx * ntx * tones else {
            throw RecordDecodeError(kind: "bad-csi",
                                    reason: "AX2xx CSI buffer of \(buffer.count) bytes != 4 * \(tones) tones * \(ntx) tx * \(nrx) rx")
        }
        let known = OFDMToneLayout.layout(bandwidthMHz: header.channelBandwidthMHz, tones: tones)
        let layout = known ?? OFDMToneLayout.fallback(tones: tones)
        var real = [Float](repeating: 0, count: ntx * nrx * layout.indices.count)
        var imag = real
        real.withUnsafeMutableBufferPointer { re in
            imag.withUnsafeMutableBufferPointer { im in
                layout.unpackInt16Pairs(buffer, nrx: nrx, ntx: ntx, real: re, imag: im)
            }
        }
        let offset = header.subcarrierOffset
        return DecodedCSI(ntx: ntx, nrx: nrx, bandwidthMHz: header.channelBandwidthMHz,
                          subcarriers: offset == 0 ? layout.indices : layout.indices.map { $0 + offset },
                          real: real, imag: imag, layoutKnown: known != nil)
    }

    /// IWL5300: the CSI Tool packing (30 tones, `60 * rx * tx + 12` bytes), tx = buffer size / rx.
    static func decodeIntel5300(_ header: PicoScenesCSIHeader, buffer: UnsafeRawBufferPointer) throws(RecordDecodeError) -> DecodedCSI {
        let nrx = header.numRx
        let ntx = nrx > 0 && buffer.count >= 12 ? (buffer.count - 12) / 60 / nrx : 0
        guard (1...3).contains(nrx), (1...3).contains(ntx), header.numTones == Intel5300Decoder.subcarrierCount,
              buffer.count == Intel5300Decoder.payloadSize(entries: nrx * ntx) else {
            throw RecordDecodeError(kind: "bad-csi",
                                    reason: "IWL5300 CSI buffer of \(buffer.count) bytes, \(header.numTones) tones, \(nrx) rx does not fit 60 * rx * tx + 12")
        }
        let nsub = Intel5300Decoder.subcarrierCount
        var real = [Float](repeating: 0, count: ntx * nrx * nsub)
        var imag = real
        real.withUnsafeMutableBufferPointer { re in
            imag.withUnsafeMutableBufferPointer { im in
                Intel5300Decoder.unpack(payload: buffer, nrx: nrx, ntx: ntx, slot: [0, 1, 2, 3], real: re, imag: im)
            }
        }
        let wide = header.channelBandwidthMHz == 40
        let base = wide ? Intel5300Decoder.subcarriers40MHz : Intel5300Decoder.subcarriers20MHz
        let offset = header.subcarrierOffset
        return DecodedCSI(ntx: ntx, nrx: nrx, bandwidthMHz: wide ? 40 : 20,
                          subcarriers: offset == 0 ? base : base.map { $0 + offset }, real: real, imag: imag, layoutKnown: true)
    }
}
