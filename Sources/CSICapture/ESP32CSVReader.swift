/// Streams CSI frames out of an ESP32-CSI-Tool CSV file (csi-formats.md §4.1), with or without the header line.
///
/// Each `CSI_DATA` line has 26 comma-separated fields; the last is `[v0 v1 ... ]`, space-separated int8 values in
/// (imaginary, real) pairs. The printed values are counted (the `len` field is the buffer size, not the count).
/// Lines that are truncated (missing fields or the closing bracket), hold an odd number of values or
/// non-numbers are reported with their byte offset and skipped. The frame carries the LLTF block (the first 64
/// items) with subcarrier indices from the ESP-IDF table (§4.3) for the line's secondary channel: none ->
/// items 0..31 = 0..31 and 32..63 = -32..-1; below -> 0..63; above -> -64..-1. Further blocks (HT-LTF,
/// STBC-HT-LTF) are not part of the frame; their item count is kept in `extras["extra_items"]`.
///
/// Timestamp: `real_timestamp` when `real_time_set` is 1, else `local_timestamp * 1e-6` with the 32-bit wrap
/// unwrapped.
public final class ESP32CSVReader: CaptureReader, CaptureProgressReporting {
    /// The capture path.
    public let path: String
    /// When true, a final line without a newline is awaited instead of decoded.
    public let follow: Bool
    /// The byte stream of the file.
    private let stream: FileByteStream
    /// Issue counts and handler.
    private var log: IssueLog
    /// Longest accepted line; a longer one is reported and skipped (bounds memory).
    public static let maximumLineLength = 1 << 16
    /// Items in the LLTF block.
    static let lltfItems = 64
    /// Previous `local_timestamp`, for wrap detection.
    private var lastLocalTimestamp: UInt64?
    /// Number of 2^32 us wraps seen so far.
    private var timestampWraps: UInt64 = 0
    /// True while skipping the rest of an overlong line.
    private var skippingLongLine = false
    /// Frames decoded so far.
    public private(set) var frameCount = 0

    /// Bytes of the capture consumed so far (for progress display).
    public var bytesConsumed: UInt64 { stream.offset }

    /// Counts of skipped or faulty lines per kind.
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
        self.stream = try FileByteStream(path: path, chunkSize: 1 << 16)
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
        while true {
            guard let (line, offset) = nextLine() else { return nil }
            if line.isEmpty || line.starts(with: Array("type,".utf8)) { continue }
            do {
                var frame = try Self.decodeLine(line)
                frame.timestamp = timestamp(of: frame)
                frameCount += 1
                return frame
            } catch let error as RecordDecodeError {
                log.report(offset: offset, error)
            }
        }
    }

    /// The next complete line (without `\r\n`) and its byte offset; `nil` at the current end.
    private func nextLine() -> ([UInt8], UInt64)? {
        var searched = 0
        while true {
            // Scan the buffered bytes for a newline.
            let available = stream.available
            let newline: Int? = stream.withBytes(count: available) { raw in
                var i = searched
                while i < raw.count {
                    if raw[i] == 0x0A { return i }
                    i += 1
                }
                return nil
            }
            if let newline {
                let offset = stream.offset
                var line = stream.withBytes(count: newline) { Array($0) }
                stream.consume(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                if skippingLongLine {
                    skippingLongLine = false
                    continue
                }
                return (line, offset)
            }
            searched = available
            if available > Self.maximumLineLength {
                if !skippingLongLine {
                    log.report(offset: stream.offset, kind: "line-too-long",
                               reason: "line longer than \(Self.maximumLineLength) bytes; skipped")
                }
                skippingLongLine = true
                stream.consume(available)
                searched = 0
            }
            if !stream.fill(atLeast: stream.available + 1) {
                // End of the data: a last line without a newline is complete unless we follow a growing file.
                guard !follow, stream.available > 0 else { return nil }
                let offset = stream.offset
                let line = stream.withBytes(count: stream.available) { Array($0) }
                stream.consume(stream.available)
                if skippingLongLine {
                    skippingLongLine = false
                    return nil
                }
                return (line.last == 0x0D ? Array(line.dropLast()) : line, offset)
            }
        }
    }

    /// `real_timestamp` when set, else the unwrapped `local_timestamp` in seconds.
    private func timestamp(of frame: CSIFrame) -> Double {
        if frame.extras["real_time_set"] == 1, let real = frame.extras["real_timestamp_us"] {
            return Double(real) * 1e-6
        }
        let local = UInt64(max(0, frame.extras["local_timestamp"] ?? 0))
        if let last = lastLocalTimestamp, local < last, last - local > UInt64(UInt32.max / 2) { timestampWraps += 1 }
        lastLocalTimestamp = local
        return Double(timestampWraps << 32 + local) * 1e-6
    }

    /// Decodes one `CSI_DATA` line (without the newline). The timestamp is left at `local_timestamp * 1e-6`.
    public static func decodeLine(_ line: [UInt8]) throws -> CSIFrame {
        guard line.starts(with: Array("CSI_DATA,".utf8)) else {
            throw RecordDecodeError(kind: "not-csi-line", reason: "line does not start with CSI_DATA")
        }
        guard let open = line.firstIndex(of: UInt8(ascii: "[")) else {
            throw RecordDecodeError(kind: "truncated", reason: "line has no CSI value list '['")
        }
        guard let close = line.lastIndex(of: UInt8(ascii: "]")), close > open else {
            throw RecordDecodeError(kind: "truncated", reason: "CSI value list is not closed by ']' (truncated line)")
        }
        let fields = line[..<open].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard fields.count == 26 else {
            throw RecordDecodeError(kind: "truncated", reason: "\(fields.count) fields before the CSI list, expected 26")
        }
        @inline(__always) func integer(_ index: Int) throws -> Int {
            guard let value = parseInteger(fields[index]) else {
                throw RecordDecodeError(kind: "bad-field", reason: "field \(index) is not an integer")
            }
            return value
        }
        var values: [Int] = []
        values.reserveCapacity(384)
        for token in line[(open + 1)..<close].split(separator: UInt8(ascii: " ")) {
            guard let value = parseInteger(token), (-128...127).contains(value) else {
                throw RecordDecodeError(kind: "bad-value", reason: "CSI value '\(String(decoding: token, as: UTF8.self))' is not an int8")
            }
            values.append(value)
        }
        guard !values.isEmpty, values.count % 2 == 0 else {
            throw RecordDecodeError(kind: "truncated",
                                    reason: "\(values.count) CSI values: not a whole number of (imag, real) pairs (truncated line)")
        }
        let mac = fields[2].split(separator: UInt8(ascii: ":")).compactMap { UInt8(String(decoding: $0, as: UTF8.self), radix: 16) }
        guard mac.count == 6 else {
            throw RecordDecodeError(kind: "bad-field", reason: "field 2 is not a MAC address")
        }
        let rssi = try integer(3), rate = try integer(4), sigMode = try integer(5), mcs = try integer(6)
        let cwb = try integer(7), noiseFloor = try integer(14), channel = try integer(16)
        let secondary = try integer(17), localTimestamp = try integer(18), realTimeSet = try integer(22)
        let length = try integer(24)
        // real_timestamp (float seconds) kept as integer microseconds; anything non-finite or absurd counts as unset.
        var realTimestampMicroseconds = 0
        if let real = Double(String(decoding: fields[23], as: UTF8.self)), real.isFinite, abs(real) < 1e12 {
            realTimestampMicroseconds = Int((real * 1e6).rounded())
        }

        // LLTF block: items 0..<min(64, count) with the §4.3 subcarrier index of each item.
        let items = values.count / 2
        let blockItems = min(items, lltfItems)
        var order: [(subcarrier: Int, item: Int)] = (0..<blockItems).map { item in
            switch secondary {
            case 1: return (item, item)                     // below: 0..63
            case 2: return (item - 64, item)                // above: -64..-1
            default: return (item < 32 ? item : item - 64, item)   // none: 0..31, -32..-1
            }
        }
        order.sort { $0.subcarrier < $1.subcarrier }
        var real = [Float](repeating: 0, count: blockItems)   // (1, 1, items)
        var imag = [Float](repeating: 0, count: blockItems)   // (1, 1, items)
        for (column, entry) in order.enumerated() {
            imag[column] = Float(values[2 * entry.item])
            real[column] = Float(values[2 * entry.item + 1])
        }
        var extras: [String: Int] = [
            "rate": rate, "sig_mode": sigMode, "mcs": mcs, "channel": channel, "secondary_channel": secondary,
            "local_timestamp": localTimestamp, "real_time_set": realTimeSet, "len": length,
            "real_timestamp_us": realTimestampMicroseconds, "noise_floor": noiseFloor,
        ]
        if items > blockItems { extras["extra_items"] = items - blockItems }
        return CSIFrame(timestamp: Double(localTimestamp) * 1e-6, device: .esp32, source: CSISourceID(transmitter: mac),
                        sequence: nil, rssi: [rssi], noise: noiseFloor, agc: nil, bandwidthMHz: cwb == 1 ? 40 : 20,
                        ntx: 1, nrx: 1, subcarriers: order.map(\.subcarrier), real: real, imag: imag, extras: extras)
    }

    /// A decimal integer with an optional sign, or `nil`.
    @inline(__always)
    static func parseInteger(_ bytes: ArraySlice<UInt8>) -> Int? {
        var index = bytes.startIndex
        var negative = false
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < bytes.endIndex, bytes.endIndex - index <= 18 else { return nil }
        var value = 0
        while index < bytes.endIndex {
            let digit = Int(bytes[index]) - 48
            guard digit >= 0 && digit <= 9 else { return nil }
            value = value * 10 + digit
            index += 1
        }
        return negative ? -value : value
    }
}
