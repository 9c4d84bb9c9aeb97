/// Streams CSI frames out of a PicoScenes capture (`.csi`, csi-formats.md §6): Intel AX200/AX210 and IWL5300
/// frames, decoded by ``PicoScenesFrameDecoder``.
///
/// Frames of other devices (QCA9300, USRP, ...) are skipped and counted (`unsupported-device`, the device named
/// in the reason), frames without CSI too (`no-csi`); every segment is counted per name and version in
/// ``segmentCounts``. A frame header without the magic, with a frame version other than 1 or with an
/// impossible length (more than 16 MiB) is reported with its byte offset and the reader resynchronises on the
/// next plausible header; so does a frame that runs past the end of the file (`truncated`), since a corrupt
/// length must not swallow the frames after it. A frame whose segments do not fit it (`bad-segment`) or whose
/// CSI is inconsistent (`bad-csi`) is skipped by its length. Memory stays constant: one frame at a time.
///
/// Timestamps: see ``PicoScenesFrameDecoder``; the 32-bit `MVMExtra` microsecond clock is unwrapped. With
/// `follow: true` a partial frame at the end is awaited: `nextFrame()` returns `nil` and can be called again.
public final class PicoScenesReader: CaptureReader, CaptureProgressReporting {
    /// The capture path.
    public let path: String
    /// When true, a partial frame at the end is awaited instead of reported.
    public let follow: Bool
    /// The byte stream of the file.
    private let stream: FileByteStream
    /// Issue counts and handler.
    private var log: IssueLog
    /// Fault recovery: scanning for the next plausible frame header, bytes skipped.
    private var resync = RecordResynchroniser()
    /// Unwraps the `MVMExtra` microsecond clock.
    private var clock = WrappingMicrosecondClock()
    /// Frames decoded so far.
    public private(set) var frameCount = 0
    /// Bytes skipped while resynchronising.
    public var skippedBytes: UInt64 { resync.skippedBytes }
    /// Counts of the segments seen so far.
    private var segments = PicoScenesSegmentTally()
    /// Segments seen so far per `"Name vN"` (e.g. `"RxSBasic v3": 885, "ExtraInfo v1": 885`).
    public var segmentCounts: [String: Int] { segments.counts }

    /// Bytes of the capture consumed so far (for progress display).
    public var bytesConsumed: UInt64 { stream.offset }

    /// Counts of skipped or faulty frames per kind.
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

    /// The next frame, or `nil` at the end of the data currently in the file.
    public func nextFrame() throws -> CSIFrame? {
        let headerSize = PicoScenesFrameDecoder.headerSize
        while true {
            if resync.active {
                guard resync.scan(stream: stream, width: headerSize, follow: follow,
                                  plausible: PicoScenesFrameDecoder.plausibleHeader) else { return nil }
            }
            guard stream.fill(atLeast: headerSize) else { return endOfData() }
            let offset = stream.offset
            guard stream.withBytes(count: headerSize, { PicoScenesFrameDecoder.plausibleHeader($0) }) else {
                fault(offset: offset, kind: stream.withBytes(count: headerSize) { Self.headerFault($0) })
                continue
            }
            let total = 4 + Int(stream.withBytes(count: 4) { $0.littleU32(0) })
            guard stream.fill(atLeast: total) else {
                if follow { return nil }
                fault(offset: offset, kind: ("truncated", "frame needs \(total) bytes, the file holds \(stream.available) from here"))
                continue
            }
            let decoded: Result<CSIFrame, RecordDecodeError> = stream.withBytes(count: total) { raw in
                Result { () throws(RecordDecodeError) in try PicoScenesFrameDecoder.decode(raw, segments: &segments) }
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
                if frame.extras["system_time_ns"] ?? 0 == 0, frame.device != .picoScenes(deviceType: 0x5300),
                   let muClock = frame.extras["mu_clock"] {
                    frame.timestamp = clock.seconds(UInt32(truncatingIfNeeded: muClock))
                }
                frameCount += 1
                return frame
            }
        }
    }

    /// The issue kind and reason for an implausible frame header.
    private static func headerFault(_ raw: UnsafeRawBufferPointer) -> (String, String) {
        if raw.littleU32(4) != PicoScenesFrameDecoder.magic {
            return ("bad-magic", "no PicoScenes frame magic 0x20150315 at byte 4 of the frame")
        }
        if raw.littleU16(8) != 1 {
            return ("bad-version", "frame version \(raw.littleU16(8)) (only 1 is defined)")
        }
        return ("bad-length", "frame length \(raw.littleU32(0)) outside \(PicoScenesFrameDecoder.headerSize - 4)...\(PicoScenesFrameDecoder.maximumFrameLength)")
    }

    /// At the current end of the bytes: in follow mode wait, else report a truncated tail once and stop.
    private func endOfData() -> CSIFrame? {
        resync.dropTail(stream: stream, follow: follow, unit: "frame", log: &log)
        return nil
    }

    /// Reports a fault at `offset` and starts resynchronising one byte further.
    private func fault(offset: UInt64, kind: (String, String)) {
        resync.fault(at: offset, kind: kind.0, reason: kind.1, stream: stream, log: &log)
    }
}
