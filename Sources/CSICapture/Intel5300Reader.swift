/// Streams CSI frames out of an Intel 5300 CSI Tool `log_to_file` capture (`.dat`).
///
/// File framing (csi-formats.md §1.1): records of `u16 BE L` + `L` bytes (code + body). 0xBB records become
/// frames; the other known driver codes are skipped and counted (`skipped-code`). A zero or oversized length, an
/// unknown code or an inconsistent 0xBB body is reported with its byte offset, and the reader resynchronises by
/// scanning for the next plausible 0xBB record (a BE length of `60 N + 33` followed by 0xBB, with Nrx/Ntx and
/// the CSI length in its body agreeing). Memory stays constant: one record at a time.
///
/// Timestamps: host time from the optional `<file>stp` side file (`.datstp`, 8 bytes `u32 sec, u32 usec` LE per
/// record, matched by record order), else `timestamp_low * 1e-6` with the 32-bit wrap unwrapped.
///
/// With `follow: true` a truncated tail is not an error: `nextFrame()` returns `nil` and can be called again
/// once the file has grown.
public final class Intel5300Reader: CaptureReader, CaptureProgressReporting {
    /// The capture path.
    public let path: String
    /// When true, a partial record at the end is awaited instead of reported.
    public let follow: Bool
    /// The byte stream of the capture.
    private let stream: FileByteStream
    /// The `.datstp` side file, if present.
    private let hostTimes: FileByteStream?
    /// Issue counts and handler.
    private var log: IssueLog
    /// Fault recovery: scanning for the next plausible 0xBB record, bytes skipped.
    private var resync = RecordResynchroniser()
    /// Record-length values of valid 0xBB records: 60 N + 33 for N = Nrx * Ntx in {1, 2, 3, 4, 6, 9}.
    private static let validBeamformingLengths: Set<Int> = Set([1, 2, 3, 4, 6, 9].map { Decoder.recordLength(entries: $0) })
    private typealias Decoder = Intel5300Decoder
    /// `timestamp_low` of the previous 0xBB record, for wrap detection.
    private var lastTimestampLow: UInt32?
    /// Number of 2^32 us wraps seen so far.
    private var timestampWraps: UInt64 = 0
    /// True once the side file ran out (reported once).
    private var hostTimesExhausted = false

    /// Frames decoded so far.
    public private(set) var frameCount = 0
    /// Bytes skipped while resynchronising.
    public var skippedBytes: UInt64 { resync.skippedBytes }
    /// Bytes of the capture consumed so far (for progress display).
    public var bytesConsumed: UInt64 { stream.offset }

    /// True when a `.datstp` host-time side file is used.
    public var usesHostTimes: Bool { hostTimes != nil }

    /// Counts of skipped or faulty records per kind.
    public var issueCounts: [String: Int] { log.counts }
    /// Called for every recoverable issue.
    public var onIssue: (@Sendable (CaptureIssue) -> Void)? {
        get { log.handler }
        set { log.handler = newValue }
    }

    /// Opens `path`. `hostTimePath` defaults to `path + "stp"` (used only when it exists; pass `""` to ignore it);
    /// a path given explicitly must open, else ``CaptureError``.
    public init(path: String, hostTimePath: String? = nil, follow: Bool = false) throws {
        self.path = path
        self.follow = follow
        self.stream = try FileByteStream(path: path)
        if let hostTimePath, !hostTimePath.isEmpty {
            hostTimes = try FileByteStream(path: hostTimePath, chunkSize: 1 << 14)   // named explicitly: must open
        } else if hostTimePath == nil {
            hostTimes = try? FileByteStream(path: path + "stp", chunkSize: 1 << 14)   // optional side file
        } else {
            hostTimes = nil
        }
        self.log = IssueLog(source: path)
    }

    /// Reads a whole capture held in memory (no `.datstp` side file); `name` stands for the path in issues.
    public init(bytes: [UInt8], name: String = "<memory>") {
        self.path = name
        self.follow = false
        self.stream = FileByteStream(bytes: bytes, name: name)
        self.hostTimes = nil
        self.log = IssueLog(source: name)
    }

    /// The next frame, or `nil` at the end of the data currently in the file.
    public func nextFrame() throws -> CSIFrame? {
        while true {
            if resync.active {
                guard resync.scan(stream: stream, width: 3 + 18, follow: follow, plausible: Self.plausibleRecord) else {
                    return nil
                }
            }
            guard stream.fill(atLeast: 3) else { return endOfData() }
            let offset = stream.offset
            let length = Int(stream[0]) << 8 | Int(stream[1])
            let code = stream[2]
            guard length >= 1, length <= Decoder.maximumRecordLength else {
                fault(offset: offset, kind: "bad-length", reason: "record length \(length) outside 1...\(Decoder.maximumRecordLength)")
                continue
            }
            guard code == Decoder.beamformingCode || Decoder.otherKnownCodes.contains(code) else {
                fault(offset: offset, kind: "bad-code", reason: "unknown record code 0x\(String(code, radix: 16))")
                continue
            }
            guard stream.fill(atLeast: 2 + length) else { return endOfData() }
            let hostTime = nextHostTime(offset: offset)
            guard code == Decoder.beamformingCode else {
                log.report(offset: offset, kind: "skipped-code",
                           reason: "record code 0x\(String(code, radix: 16)) is not CSI (0xbb); skipped")
                stream.consume(2 + length)
                continue
            }
            let decoded: Result<CSIFrame, RecordDecodeError> = stream.withBytes(count: 2 + length) { raw in
                do {
                    return .success(try Decoder.decodeBody(UnsafeRawBufferPointer(rebasing: raw[3...])))
                } catch let error as RecordDecodeError {
                    return .failure(error)
                } catch {
                    return .failure(RecordDecodeError(kind: "bad-record", reason: "\(error)"))
                }
            }
            switch decoded {
            case .failure(let error):
                fault(offset: offset, kind: error.kind, reason: error.reason)
                continue
            case .success(var frame):
                if length != Decoder.recordLength(entries: frame.nrx * frame.ntx) {
                    // The body is consistent but the framing carries extra bytes: keep the frame, note it.
                    log.report(offset: offset, kind: "length-mismatch",
                               reason: "record length \(length) != 21 + CSI length for Nrx=\(frame.nrx) Ntx=\(frame.ntx)")
                }
                stream.consume(2 + length)
                frame.timestamp = hostTime ?? unwrappedTime(UInt32(truncatingIfNeeded: frame.extras["timestamp_low"] ?? 0))
                frameCount += 1
                return frame
            }
        }
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

    /// Whether a plausible 0xBB record starts at `raw` (at least 21 bytes: length, code and the body fields that
    /// fix its size).
    private static func plausibleRecord(_ raw: UnsafeRawBufferPointer) -> Bool {
        let length = Int(raw[0]) << 8 | Int(raw[1])
        guard raw[2] == Decoder.beamformingCode && validBeamformingLengths.contains(length) else { return false }
        let nrx = Int(raw[3 + 8]), ntx = Int(raw[3 + 9])
        let payloadLength = Int(raw[3 + 16]) | Int(raw[3 + 17]) << 8
        return (1...3).contains(nrx) && (1...3).contains(ntx) && length == Decoder.recordLength(entries: nrx * ntx)
            && payloadLength == Decoder.payloadSize(entries: nrx * ntx)
    }

    /// The next `.datstp` host time (one per record), or `nil` when there is no side file or it ran out.
    private func nextHostTime(offset: UInt64) -> Double? {
        guard let hostTimes, !hostTimesExhausted else { return nil }
        guard hostTimes.fill(atLeast: 8) else {
            if !follow {
                hostTimesExhausted = true
                log.report(offset: offset, kind: "datstp-short",
                           reason: "\(hostTimes.path) has no entry for this record; using timestamp_low from here on")
            }
            return nil
        }
        let value = hostTimes.withBytes(count: 8) { raw in
            let seconds = raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian
            let microseconds = raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
            return Double(seconds) + Double(microseconds) * 1e-6
        }
        hostTimes.consume(8)
        return value
    }

    /// `timestamp_low * 1e-6` plus 2^32 us for every wrap seen (a decrease by more than half the range).
    private func unwrappedTime(_ low: UInt32) -> Double {
        if let last = lastTimestampLow, low < last, last - low > UInt32.max / 2 {
            timestampWraps += 1
        }
        lastTimestampLow = low
        return Double(timestampWraps << 32 + UInt64(low)) * 1e-6
    }
}
