#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads record headers of a classic pcap or pcapng file directly (with `pread`, next to libpcap) to tell a
/// damaged record from a truncated tail, and finds the next plausible record after a damaged one.
///
/// libpcap stops reading a savefile at the first record whose length it cannot accept (e.g. a capture length of
/// 2 GB) and cannot skip it; ``NexmonPcapReader`` uses this scanner to find where the next record starts and
/// seeks libpcap's file there.
///
/// A classic record is plausible when its capture length is at most ``maximumCaptureLength``, its original length
/// is at least the capture length (and at most 16 MiB), its sub-second field is below 10^9, its seconds are within
/// a week of the last good record's, it ends inside the file, and the record after it (when the file holds its
/// header) passes the same checks. A pcapng block is plausible when it is an (enhanced or
/// simple) packet block whose total length, a multiple of 4 from 16 bytes to 16 MiB, is repeated at its end.
struct PcapRecordScanner {
    /// The file layout: classic pcap (record header 16 bytes) or pcapng (blocks), and the byte order.
    enum Layout {
        /// Classic pcap.
        case classic(bigEndian: Bool)
        /// pcapng.
        case pcapng(bigEndian: Bool)
    }

    /// libpcap's largest accepted capture length (`MAXIMUM_SNAPLEN`).
    static let maximumCaptureLength = 262_144
    /// Largest original length or block length considered plausible.
    static let maximumRecordLength = 1 << 24
    /// The file descriptor (owned by libpcap's `FILE`).
    let descriptor: Int32
    /// The file layout.
    let layout: Layout

    /// Reads the file magic; `nil` when it is neither classic pcap nor pcapng.
    init?(descriptor: Int32) {
        self.descriptor = descriptor
        var head = [UInt8](repeating: 0, count: 12)
        guard pread(descriptor, &head, 12, 0) == 12 else { return nil }
        let magic = UInt32(head[0]) << 24 | UInt32(head[1]) << 16 | UInt32(head[2]) << 8 | UInt32(head[3])
        switch magic {
        case 0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34: layout = .classic(bigEndian: true)
        case 0xd4c3b2a1, 0x4d3cb2a1, 0x34cdb2a1: layout = .classic(bigEndian: false)
        case 0x0a0d0d0a: layout = .pcapng(bigEndian: head[8] == 0x1a)
        default: return nil
        }
    }

    /// Bytes of a record header (classic) or block header (pcapng).
    var headerSize: Int {
        if case .classic = layout { return 16 }
        return 12
    }

    /// The current file size.
    func fileSize() -> UInt64 {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? UInt64(max(0, info.st_size)) : 0
    }

    /// `u32` at `at` in `bytes` in the file's byte order.
    private func u32(_ bytes: [UInt8], _ at: Int) -> Int {
        let big: Bool
        switch layout {
        case .classic(let b), .pcapng(let b): big = b
        }
        let v = big ? UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
                    : UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        return Int(v)
    }

    /// The `count` bytes at `offset`, or `nil` when the file ends first.
    private func read(_ offset: UInt64, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        return got == count ? bytes : nil
    }

    /// The total size (header + data) the record at `offset` claims, or `nil` when its header is incomplete.
    func claimedLength(at offset: UInt64) -> Int? {
        guard let header = read(offset, headerSize) else { return nil }
        if case .classic = layout { return 16 + u32(header, 8) }
        return u32(header, 4)
    }

    /// Whether the header at `offset` passes the checks that need no other record (see the type's notes).
    private func headerIsPlausible(at offset: UInt64, fileSize: UInt64, nearSeconds: Int?) -> Bool {
        guard let header = read(offset, headerSize) else { return false }
        switch layout {
        case .classic:
            let captured = u32(header, 8), original = u32(header, 12)
            let week = 7 * 86_400
            return captured <= Self.maximumCaptureLength && original >= captured && original <= Self.maximumRecordLength
                && u32(header, 4) < 1_000_000_000 && offset + 16 + UInt64(captured) <= fileSize
                && nearSeconds.map { abs(u32(header, 0) - $0) <= week } ?? true
        case .pcapng:
            let type = u32(header, 0), length = u32(header, 4)
            guard [2, 3, 6].contains(type), length % 4 == 0, length >= 16, length <= Self.maximumRecordLength,
                  offset + UInt64(length) <= fileSize, let trailer = read(offset + UInt64(length) - 4, 4) else { return false }
            return u32(trailer, 0) == length
        }
    }

    /// Whether a record that libpcap refused at `offset` is a truncated tail (its header or data reach past the
    /// end of the file, with a length libpcap would accept) rather than a damaged record.
    func isTruncatedTail(at offset: UInt64) -> Bool {
        let size = fileSize()
        guard let length = claimedLength(at: offset) else { return true }
        let acceptable: Bool
        if case .classic = layout { acceptable = length - 16 <= Self.maximumCaptureLength } else {
            acceptable = length >= 12 && length <= Self.maximumRecordLength
        }
        return acceptable && offset + UInt64(length) > size
    }

    /// The offset of the first plausible record at or after `start` whose successor (if the file holds its
    /// header) is plausible too, or `nil` when the data ends first. `nearSeconds`: the timestamp (seconds) of the
    /// last good record, when known.
    func nextPlausibleRecord(from start: UInt64, nearSeconds: Int?) -> UInt64? {
        let size = fileSize()
        var offset = start
        while offset + UInt64(headerSize) <= size {
            if headerIsPlausible(at: offset, fileSize: size, nearSeconds: nearSeconds), let length = claimedLength(at: offset) {
                let next = offset + UInt64(length)
                if next + UInt64(headerSize) > size || headerIsPlausible(at: next, fileSize: size, nearSeconds: nearSeconds) {
                    return offset
                }
            }
            offset += 1
        }
        return nil
    }
}
