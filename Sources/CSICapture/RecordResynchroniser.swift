/// The recovery the binary record readers share (Intel 5300, Atheros, PicoScenes, FeitCSI): a record that cannot
/// be read is reported, one byte is dropped and the reader then scans byte by byte for the next plausible record
/// header; at the end of a file that is not followed, a tail too short for a record is reported once and dropped.
/// Counts every byte skipped. One per reader, used on the reader's own stream and issue log.
struct RecordResynchroniser {
    /// True from a fault until a plausible header is found (or a file that is not followed ends).
    private(set) var active = false
    /// Bytes skipped so far (faults, scans, dropped tails).
    private(set) var skippedBytes: UInt64 = 0

    /// Reports a fault at `offset` (`reason` + "; resynchronising"), drops one byte and starts scanning.
    mutating func fault(at offset: UInt64, kind: String, reason: String, stream: FileByteStream, log: inout IssueLog) {
        log.report(offset: offset, kind: kind, reason: reason + "; resynchronising")
        stream.consume(1)
        skippedBytes += 1
        active = true
    }

    /// Drops bytes until `plausible` holds for the `width` bytes at the stream's position (`true`) or the data
    /// currently there ends first (`false`). Without `follow` the bytes left then go too and scanning stops: no
    /// record fits in them, and they belong to the fault already reported.
    mutating func scan(stream: FileByteStream, width: Int, follow: Bool,
                       plausible: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        while stream.fill(atLeast: width) {
            if stream.withBytes(count: width, plausible) {
                active = false
                return true
            }
            stream.consume(1)
            skippedBytes += 1
        }
        if !follow {
            skippedBytes += UInt64(stream.available)
            stream.consume(stream.available)
            active = false
        }
        return false
    }

    /// At the current end of the data: without `follow`, reports once that the bytes left do not hold a complete
    /// `unit` ("record", "frame") and drops them.
    mutating func dropTail(stream: FileByteStream, follow: Bool, unit: String, log: inout IssueLog) {
        guard !follow, stream.available > 0 else { return }
        let remaining = stream.available
        log.report(offset: stream.offset, kind: "truncated",
                   reason: "\(remaining) trailing bytes do not hold a complete \(unit)")
        skippedBytes += UInt64(remaining)
        stream.consume(remaining)
    }
}
