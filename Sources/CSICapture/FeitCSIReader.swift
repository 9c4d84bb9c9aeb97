/// Streams CSI frames out of a FeitCSI capture (`.csi`, Intel AX200/AX210, csi-formats.md §6b).
///
/// The file is a plain sequence of records without a file header: a 272-byte ``IntelMVMCSIHeader`` then
/// `csi_length` bytes of `i16 real, i16 imag` pairs ordered rx, tx, tone. HT, VHT and HE-SU records at 20, 40,
/// 80 and 160 MHz are decoded with every tone, pilots included (``OFDMToneLayout``); a tone count no table knows
/// is still decoded with centred indices and reported (`unknown-tone-layout`).
///
/// A header whose CSI length is not `4 * rx * tx * tones` (or is outside 1...8 chains, 1...4096 tones) is
/// reported (`bad-header`) with its byte offset and the reader resynchronises on the next plausible header. A
/// record that runs past the end of the file is reported (`truncated`) and the bytes after its header are
/// searched for further records. Memory stays constant: one record at a time.
///
/// Timestamp: the receiver's microsecond clock (`mu_clock`) with its 32-bit wrap unwrapped. With
/// `follow: true` a partial record at the end is awaited: `nextFrame()` returns `nil` and can be called again.
public final class FeitCSIReader: CaptureReader, CaptureProgressReporting {
    /// The capture path.
    public let path: String
    /// When true, a partial record at the end is awaited instead of reported.
    public let follow: Bool
    /// The byte stream of the file.
    private let stream: FileByteStream
    /// Issue counts and handler.
    private var log: IssueLog
    /// Fault recovery: scanning for the next plausible header, bytes skipped.
    private var resync = RecordResynchroniser()
    /// Unwraps `mu_clock`.
    private var clock = WrappingMicrosecondClock()
    /// Frames decoded so far.
    public private(set) var frameCount = 0
    /// Bytes skipped while resynchronising.
    public var skippedBytes: UInt64 { resync.skippedBytes }

    /// Bytes of the capture consumed so far (for progress display).
    public var bytesConsumed: UInt64 { stream.offset }

    /// Counts of skipped or faulty records per kind.
    public var issueCounts: [String: Int] { log.counts }
    /// Called for every recoverable issue.
    public var onIssue: (@Sendable (CaptureIssue) -> Void)? {
        get { log.handler }
        set { log.handler = newValue }
    }

    /// Opens `path`.
    public init(path: String, follow: Bool = false) throws {
        self.path = path
        self.follow = follow
        self.stream = try FileByteStream(path: path)
        self.log = IssueLog(source: path)
    }

    /// Reads a whole capture held in memory; `name` stands for the path in issues.
    public init(bytes: [UInt8], name: String = "<memory>") {
        self.path = name
        self.follow = false
        self.stream = FileByteStream(bytes: bytes, name: name)
        self.log = IssueLog(source: name)
    }

    /// Whether `raw` starts with a plausible FeitCSI record header (see ``IntelMVMCSIHeader/isConsistent``).
    public static func plausibleHeader(_ raw: UnsafeRawBufferPointer) -> Bool {
        IntelMVMCSIHeader.isConsistent(raw)
    }

    /// The next frame, or `nil` at the end of the data currently in the file.
    public func nextFrame() throws -> CSIFrame? {
        let headerSize = IntelMVMCSIHeader.size
        while true {
            if resync.active {
                guard resync.scan(stream: stream, width: IntelMVMCSIHeader.fieldsSize, follow: follow,
                                  plausible: Self.plausibleHeader) else { return nil }
            }
            guard stream.fill(atLeast: headerSize) else { return endOfData() }
            let offset = stream.offset
            let header = stream.withBytes(count: IntelMVMCSIHeader.fieldsSize) { IntelMVMCSIHeader($0) }
            guard header.isConsistent else {
                fault(offset: offset, kind: "bad-header",
                      reason: "implausible FeitCSI header (csi_length \(header.csiLength), \(header.numRx) rx, \(header.numTx) tx, \(header.numSubcarriers) tones)")
                continue
            }
            let total = headerSize + Int(header.csiLength)
            guard stream.fill(atLeast: total) else {
                if follow { return nil }
                fault(offset: offset, kind: "truncated",
                      reason: "record needs \(total) bytes, the file holds \(stream.available) from here")
                continue
            }
            let decoded: Result<CSIFrame, RecordDecodeError> = stream.withBytes(count: total) { raw in
                Result { () throws(RecordDecodeError) in try Self.decodeRecord(raw) }
            }
            stream.consume(total)
            switch decoded {
            case .failure(let error):
                log.report(offset: offset, error)
            case .success(var frame):
                if frame.extras["tone_layout_known"] == 0 {
                    log.report(offset: offset, kind: "unknown-tone-layout",
                               reason: "\(frame.nsub) tones at \(frame.bandwidthMHz) MHz match no 802.11 table; indices centred on 0")
                }
                frame.timestamp = clock.seconds(UInt32(truncatingIfNeeded: frame.extras["mu_clock"] ?? 0))
                frameCount += 1
                return frame
            }
        }
    }

    /// Decodes one record (header + CSI). The timestamp is `mu_clock * 1e-6` (readers unwrap it), `rssi` is
    /// `-rssi_n` dBm per chain, the source is the transmitter MAC; `extras` holds `rate_flags`, `modulation`
    /// (0 CCK ... 4 HE, 5 EHT), `ftm_clock`, `mu_clock`, `csi_sequence` and `tone_layout_known` (0 or 1).
    public static func decodeRecord(_ raw: UnsafeRawBufferPointer) throws(RecordDecodeError) -> CSIFrame {
        guard raw.count >= IntelMVMCSIHeader.size else {
            throw RecordDecodeError(kind: "truncated", reason: "\(raw.count) bytes, a FeitCSI header needs \(IntelMVMCSIHeader.size)")
        }
        let header = IntelMVMCSIHeader(raw)
        guard header.isConsistent else {
            throw RecordDecodeError(kind: "bad-header",
                                    reason: "csi_length \(header.csiLength) != 4 * \(header.numRx) rx * \(header.numTx) tx * \(header.numSubcarriers) tones")
        }
        let csiLength = Int(header.csiLength)
        guard raw.count >= IntelMVMCSIHeader.size + csiLength else {
            throw RecordDecodeError(kind: "truncated", reason: "record needs \(IntelMVMCSIHeader.size + csiLength) bytes, has \(raw.count)")
        }
        let bandwidth = header.bandwidthMHz ?? 20
        let known = OFDMToneLayout.layout(bandwidthMHz: bandwidth, tones: header.numSubcarriers)
        let layout = known ?? OFDMToneLayout.fallback(tones: header.numSubcarriers)
        let nrx = header.numRx, ntx = header.numTx
        var real = [Float](repeating: 0, count: ntx * nrx * layout.indices.count)
        var imag = real
        let csi = UnsafeRawBufferPointer(rebasing: raw[IntelMVMCSIHeader.size..<(IntelMVMCSIHeader.size + csiLength)])
        real.withUnsafeMutableBufferPointer { re in
            imag.withUnsafeMutableBufferPointer { im in
                layout.unpackInt16Pairs(csi, nrx: nrx, ntx: ntx, real: re, imag: im)
            }
        }
        return CSIFrame(
            timestamp: Double(header.muClock) * 1e-6, device: .feitCSI,
            source: CSISourceID(transmitter: header.sourceAddress), sequence: nil,
            rssi: header.rssiDBm(chains: nrx), noise: nil, agc: nil, bandwidthMHz: bandwidth,
            ntx: ntx, nrx: nrx, subcarriers: layout.indices, real: real, imag: imag,
            extras: ["rate_flags": Int(header.rateFlags), "modulation": header.modulationType,
                     "ftm_clock": Int(header.ftmClock), "mu_clock": Int(header.muClock),
                     "csi_sequence": header.csiSequence, "tone_layout_known": known == nil ? 0 : 1])
    }

    /// At the current end of the bytes: in follow mode wait, else report a truncated tail once and stop.
    private func endOfData() -> CSIFrame? {
        resync.dropTail(stream: stream, follow: follow, unit: "record", log: &log)
        return nil
    }

    /// Reports a fault at `offset` and starts resynchronising one byte further.
    private func fault(offset: UInt64, kind: String, reason: String) {
        resync.fault(at: offset, kind: kind, reason: reason, stream: stream, log: &log)
    }
}

/// Turns a 32-bit microsecond counter into seconds that keep increasing across its wraps (2^32 us = 71.6 min).
struct WrappingMicrosecondClock {
    /// The previous raw value.
    private var last: UInt32?
    /// Wraps seen so far.
    private var wraps: UInt64 = 0

    /// Seconds for `raw`, counting a wrap whenever the counter drops by more than half its range.
    mutating func seconds(_ raw: UInt32) -> Double {
        if let last, raw < last, last - raw > UInt32.max / 2 { wraps += 1 }
        last = raw
        return Double(wraps << 32 + UInt64(raw)) * 1e-6
    }
}
