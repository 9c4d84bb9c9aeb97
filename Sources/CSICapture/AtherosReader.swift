/// Streams CSI frames out of an Atheros CSI Tool `recv_csi` log (csi-formats.md §5).
///
/// Framing: `u16 buf_len` in the writer's byte order (LE on x86, BE on MIPS routers; detected from the first
/// record unless given), then a 25-byte header, `csi_len` bytes of CSI and `payload_len` bytes of MPDU.
/// Records without CSI (`csi_len` 0) are skipped and counted (`no-csi`); an implausible header is reported and
/// the reader resynchronises on the next plausible header.
///
/// CSI unpacking follows the tool's own MATLAB `read_csi.c`: the CSI bytes are read as LE 16-bit words, 10-bit
/// two's-complement fields are taken LSB-first, in the order tone -> tx (nc) -> rx (nr), imaginary part first.
/// csiread 1.4.1 instead assigns the stream rx-outer, tx-inner, so its `[tone, rx, tx]` differs from this (and
/// from MATLAB) whenever nr > 1 and nc > 1; the tests compare with csiread after remapping its order. CSIKit
/// adds +1 to both parts; we do not. Tones are assumed ascending (-28..-1, 1..28 or -58..-2, 2..58).
public final class AtherosReader: CaptureReader, CaptureProgressReporting {
    /// The capture path.
    public let path: String
    /// When true, a partial record at the end is awaited instead of reported.
    public let follow: Bool
    /// The byte stream of the file.
    private let stream: FileByteStream
    /// Byte order of the framing and header (`nil` until detected).
    public private(set) var bigEndian: Bool?
    /// Issue counts and handler.
    private var log: IssueLog
    /// Fault recovery: scanning for the next plausible header, bytes skipped.
    private var resync = RecordResynchroniser()
    /// Header size after the 2-byte length.
    static let headerSize = 25
    /// Frames decoded so far.
    public private(set) var frameCount = 0
    /// Bytes skipped while resynchronising.
    public var skippedBytes: UInt64 { resync.skippedBytes }

    /// Ascending tone indices for 56 and 114 tones.
    static let tones56 = Array(-28...(-1)) + Array(1...28)
    static let tones114 = Array(-58...(-2)) + Array(2...58)

    /// Bytes of the capture consumed so far (for progress display).
    public var bytesConsumed: UInt64 { stream.offset }

    /// Counts of skipped or faulty records per kind.
    public var issueCounts: [String: Int] { log.counts }
    /// Called for every recoverable issue.
    public var onIssue: (@Sendable (CaptureIssue) -> Void)? {
        get { log.handler }
        set { log.handler = newValue }
    }

    /// Opens `path`; `bigEndian` forces the framing byte order (default: detect from the first record).
    public init(path: String, bigEndian: Bool? = nil, follow: Bool = false) throws {
        self.path = path
        self.follow = follow
        self.bigEndian = bigEndian
        self.stream = try FileByteStream(path: path)
        self.log = IssueLog(source: path)
    }

    /// Reads a whole log held in memory; `name` stands for the path in issues.
    public init(bytes: [UInt8], name: String = "<memory>", bigEndian: Bool? = nil) {
        self.path = name
        self.follow = false
        self.bigEndian = bigEndian
        self.stream = FileByteStream(bytes: bytes, name: name)
        self.log = IssueLog(source: name)
    }

    /// Whether a plausible record (length + header) starts at `at` in `bytes` in the given byte order:
    /// 56 or 114 tones, nr and nc in 1...3, `csi_len` 0 or `ceil(tones * nr * nc * 20 / 8)`, and
    /// `buf_len == 25 + csi_len + payload_len`.
    static func plausibleHeader(_ bytes: [UInt8], at: Int, bigEndian: Bool) -> Bool {
        guard bytes.count >= at + 2 + headerSize else { return false }
        return bytes.withUnsafeBytes { plausibleHeader(UnsafeRawBufferPointer(rebasing: $0[at...]), bigEndian: bigEndian) }
    }

    /// As above, for the bytes at the start of `raw`.
    static func plausibleHeader(_ raw: UnsafeRawBufferPointer, bigEndian: Bool) -> Bool {
        guard raw.count >= 2 + headerSize else { return false }
        let u16 = { (at: Int) -> Int in
            bigEndian ? Int(raw[at]) << 8 | Int(raw[at + 1]) : Int(raw[at]) | Int(raw[at + 1]) << 8
        }
        let bufferLength = u16(0)
        let csiLength = u16(2 + 8)
        let tones = Int(raw[2 + 16]), nr = Int(raw[2 + 17]), nc = Int(raw[2 + 18])
        let payloadLength = u16(2 + 23)
        guard tones == 56 || tones == 114, (1...3).contains(nr), (1...3).contains(nc) else { return false }
        guard csiLength == 0 || csiLength == (tones * nr * nc * 20 + 7) / 8 else { return false }
        return bufferLength == headerSize + csiLength + payloadLength
    }

    /// The next frame, or `nil` at the end of the data currently in the file.
    public func nextFrame() throws -> CSIFrame? {
        while true {
            guard stream.fill(atLeast: 2 + Self.headerSize) else { return endOfData() }
            if bigEndian == nil {
                let head = stream.withBytes(count: 2 + Self.headerSize) { Array($0) }
                bigEndian = !Self.plausibleHeader(head, at: 0, bigEndian: false) && Self.plausibleHeader(head, at: 0, bigEndian: true)
            }
            let big = bigEndian ?? false
            if resync.active {
                guard resync.scan(stream: stream, width: 2 + Self.headerSize, follow: follow,
                                  plausible: { Self.plausibleHeader($0, bigEndian: big) }) else { return nil }
                continue
            }
            let offset = stream.offset
            let plausible = stream.withBytes(count: 2 + Self.headerSize) { Self.plausibleHeader($0, bigEndian: big) }
            guard plausible else {
                resync.fault(at: offset, kind: "bad-header", reason: "implausible Atheros record header", stream: stream,
                             log: &log)
                continue
            }
            let bufferLength = big ? Int(stream[0]) << 8 | Int(stream[1]) : Int(stream[0]) | Int(stream[1]) << 8
            guard stream.fill(atLeast: 2 + bufferLength) else { return endOfData() }
            let frame = stream.withBytes(count: 2 + bufferLength) { raw in
                Self.decodeRecord(UnsafeRawBufferPointer(rebasing: raw[2...]), bigEndian: big)
            }
            stream.consume(2 + bufferLength)
            guard let frame else {
                log.report(offset: offset, kind: "no-csi", reason: "record without CSI (csi_len 0); skipped")
                continue
            }
            frameCount += 1
            return frame
        }
    }

    /// At the current end of the bytes: in follow mode wait, else report a truncated tail once and stop.
    private func endOfData() -> CSIFrame? {
        resync.dropTail(stream: stream, follow: follow, unit: "record", log: &log)
        return nil
    }

    /// Decodes one record body (header + CSI + payload, without the 2-byte length); `nil` when it has no CSI.
    static func decodeRecord(_ body: UnsafeRawBufferPointer, bigEndian: Bool) -> CSIFrame? {
        let u16 = { (at: Int) -> Int in
            bigEndian ? Int(body[at]) << 8 | Int(body[at + 1]) : Int(body[at]) | Int(body[at + 1]) << 8
        }
        var timestamp: UInt64 = 0
        for i in 0..<8 {
            let byte = UInt64(body[bigEndian ? i : 7 - i])
            timestamp = timestamp << 8 | byte
        }
        let csiLength = u16(8)
        guard csiLength > 0 else { return nil }
        let channel = u16(10)
        let phyError = Int(body[12]), noise = Int(body[13]), rate = Int(body[14]), bandwidthCode = Int(body[15])
        let tones = Int(body[16]), nr = Int(body[17]), nc = Int(body[18])
        let rssi = Int(body[19])
        let chainRSSI = [Int(body[20]), Int(body[21]), Int(body[22])].prefix(nr)
        let payloadLength = u16(23)

        // real/imag: (nc, nr, tones)
        var real = [Float](repeating: 0, count: nc * nr * tones)
        var imag = [Float](repeating: 0, count: nc * nr * tones)
        let csi = UnsafeRawBufferPointer(rebasing: body[headerSize..<(headerSize + csiLength)])
        var accumulator: UInt32 = 0   // pending bits, LSB first
        var bitsLeft = 0
        var wordIndex = 0
        @inline(__always) func field() -> Int {
            if bitsLeft < 10 {
                let at = 2 * wordIndex
                let word = at + 1 < csi.count ? UInt32(csi[at]) | UInt32(csi[at + 1]) << 8 : 0
                accumulator |= word << UInt32(bitsLeft)
                bitsLeft += 16
                wordIndex += 1
            }
            let raw = Int(accumulator & 0x3FF)
            accumulator >>= 10
            bitsLeft -= 10
            return raw >= 512 ? raw - 1024 : raw
        }
        for tone in 0..<tones {
            for tx in 0..<nc {
                for rx in 0..<nr {
                    let i = (tx * nr + rx) * tones + tone
                    imag[i] = Float(field())
                    real[i] = Float(field())
                }
            }
        }
        return CSIFrame(
            timestamp: Double(timestamp) * 1e-6, device: .atheros, source: CSISourceID(), sequence: nil,
            rssi: Array(chainRSSI), noise: nil, agc: nil, bandwidthMHz: bandwidthCode == 1 ? 40 : 20,
            ntx: nc, nrx: nr, subcarriers: tones == 114 ? tones114 : tones56, real: real, imag: imag,
            extras: ["channel": channel, "phyerr": phyError, "noise": noise, "rate": rate, "rssi": rssi,
                     "csi_len": csiLength, "payload_len": payloadLength, "timestamp_us": Int(truncatingIfNeeded: timestamp)])
    }
}
