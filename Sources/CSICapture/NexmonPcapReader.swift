import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams Nexmon CSI frames out of a pcap or pcapng file, read by libpcap with nanosecond timestamps.
///
/// Link types Ethernet (+802.1Q), Linux cooked v1/v2, raw IP and IPv4 are supported; any other (e.g. 127,
/// monitor-mode radiotap) is a ``CaptureError`` at open. Every packet goes through ``UDPPacketDissector`` and
/// ``NexmonPayloadDecoder``; packets that are not Nexmon CSI are counted per kind and skipped. The frame
/// timestamp is the pcap timestamp (host receive time).
///
/// A record libpcap refuses (an impossible capture or block length, e.g. a 2 GB capture length) does not end the
/// file: it is reported (`bad-length`, with its offset and libpcap's message), ``PcapRecordScanner`` finds the next
/// plausible record and reading resumes there; the bytes in between are counted in ``skippedBytes``.
///
/// With `follow: true` the end of the file (or a record that is still being written) returns `nil`, and the next
/// call continues from the same record once the file has grown.
public final class NexmonPcapReader: CaptureReader, CaptureProgressReporting {
    /// The capture path.
    public let path: String
    /// When true, a partial record at the end is awaited instead of reported.
    public let follow: Bool
    /// The libpcap handle (`nil` once the file ended with an error).
    private var handle: OpaquePointer?
    /// libpcap's `FILE *`, used to remember record offsets and to retry at the end of a growing file.
    private let file: UnsafeMutablePointer<FILE>?
    /// Reads record headers next to libpcap to skip damaged records (`nil` when the magic is not recognised).
    private let scanner: PcapRecordScanner?
    /// Follow mode: where to look for the next plausible record once the file has grown, and where the damaged
    /// record began.
    private var resynchronising: (from: UInt64, damagedAt: UInt64)?
    /// Seconds of the last record libpcap returned (a resynchronised record must be close to it).
    private var lastSeconds: Int?
    /// Link layer -> IPv4 -> UDP payload.
    public let dissector: UDPPacketDissector
    /// Payload -> frame.
    public let decoder: NexmonPayloadDecoder
    /// Issue counts and handler.
    private var log: IssueLog
    /// Packets read from the file so far (CSI or not).
    public private(set) var packetCount = 0
    /// Frames decoded so far.
    public private(set) var frameCount = 0
    /// Bytes skipped while resynchronising after a record with an impossible length.
    public private(set) var skippedBytes: UInt64 = 0

    /// Bytes of the capture consumed so far (for progress display).
    public var bytesConsumed: UInt64 { file.map { UInt64(max(0, ftello($0))) } ?? 0 }

    /// Counts of skipped or faulty packets per kind.
    public var issueCounts: [String: Int] { log.counts }
    /// Called for every recoverable issue.
    public var onIssue: (@Sendable (CaptureIssue) -> Void)? {
        get { log.handler }
        set { log.handler = newValue }
    }

    /// Opens `path`. `port` is the UDP destination port of the CSI datagrams (`nil` accepts any port).
    public init(path: String, decoder: NexmonPayloadDecoder = NexmonPayloadDecoder(), port: UInt16? = 5500,
                follow: Bool = false) throws {
        self.path = path
        self.follow = follow
        self.decoder = decoder
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let opened = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO),
                                                                     &errorBuffer) else {
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(source: path, offset: 0, reason: "libpcap cannot read it: \(message)")
        }
        let linkType = pcap_datalink(opened)
        guard let dissector = UDPPacketDissector(linkType: linkType, destinationPort: port) else {
            pcap_close(opened)
            let name = pcap_datalink_val_to_name(linkType).map { String(cString: $0) } ?? "unknown"
            let hint = linkType == 127 || linkType == 105
                ? "a monitor-mode (802.11) capture holds no Nexmon CSI UDP packets; capture on the managed interface, e.g. `tcpdump -i wlan0 dst port 5500 -w file.pcap`"
                : "supported link types are Ethernet (1), Linux cooked v1 (113) and v2 (276), raw IP (12/101) and IPv4 (228)"
            throw CaptureError(source: path, offset: 20,
                               reason: "unsupported pcap link type \(linkType) (\(name)): \(hint)")
        }
        self.handle = opened
        self.file = pcap_file(opened)
        self.scanner = file.flatMap { PcapRecordScanner(descriptor: fileno($0)) }
        self.dissector = dissector
        self.log = IssueLog(source: path)
    }

    deinit {
        if let handle { pcap_close(handle) }
    }

    /// The next frame, or `nil` at the end of the data currently in the file.
    public func nextFrame() throws -> CSIFrame? {
        while let handle {
            if let pending = resynchronising {
                guard resume(from: pending.from, damagedAt: pending.damagedAt) else { return nil }
            }
            let recordOffset = file.map { UInt64(max(0, ftello($0))) } ?? 0
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            if status != 1 {
                if skipDamagedRecord(status: status, recordOffset: recordOffset) { continue }
                return endOfData(status: status, recordOffset: recordOffset)
            }
            guard let header, let data else { continue }
            packetCount += 1
            lastSeconds = Int(header.pointee.ts.tv_sec)
            let captured = Int(header.pointee.caplen)
            let timestamp = Double(header.pointee.ts.tv_sec) + Double(header.pointee.ts.tv_usec) * 1e-9
            let packet = UnsafeRawBufferPointer(start: data, count: captured)
            switch dissector.payloadRange(in: packet, originalLength: Int(header.pointee.len)) {
            case .failure(let skip):
                log.report(offset: recordOffset, kind: skip.kind, reason: "packet \(packetCount): \(skip.reason)")
            case .success(let range):
                do {
                    let frame = try decoder.decode(UnsafeRawBufferPointer(rebasing: packet[range]), timestamp: timestamp)
                    if frame.extras["bandwidth_mismatch"] != nil {
                        log.report(offset: recordOffset, kind: "bandwidth-mismatch",
                                   reason: "packet \(packetCount): chanspec 0x\(String(frame.extras["chanspec"] ?? 0, radix: 16)) disagrees with NFFT \(frame.nsub); NFFT from the length is used")
                    }
                    frameCount += 1
                    return frame
                } catch let error as RecordDecodeError {
                    log.report(offset: recordOffset, kind: error.kind, reason: "packet \(packetCount): \(error.reason)")
                } catch {
                    log.report(offset: recordOffset, kind: "bad-record", reason: "packet \(packetCount): \(error)")
                }
            }
        }
        return nil
    }

    /// When libpcap refused a complete record at `recordOffset` (an impossible length, not a truncated tail):
    /// reports it and seeks to the next plausible record. Returns `true` when reading can go on now.
    private func skipDamagedRecord(status: Int32, recordOffset: UInt64) -> Bool {
        guard status == PCAP_ERROR, let handle, let scanner, !scanner.isTruncatedTail(at: recordOffset) else { return false }
        let message = String(cString: pcap_geterr(handle))
        let claimed = scanner.claimedLength(at: recordOffset).map { "record of \($0) bytes" } ?? "record"
        log.report(offset: recordOffset, kind: "bad-length",
                   reason: "\(claimed) refused by libpcap (\(message)); skipped, resynchronising on the next plausible record")
        return resume(from: recordOffset + 1, damagedAt: recordOffset)
    }

    /// Handles a `pcap_next_ex` status other than 1 at the record that starts at `recordOffset` (the end of the
    /// data, a truncated tail, or a damaged record with nothing plausible after it).
    private func endOfData(status: Int32, recordOffset: UInt64) -> CSIFrame? {
        guard handle != nil, resynchronising == nil else { return nil }
        if follow, let file {
            // End of the bytes written so far (or a record still being written): rewind to the record, retry later.
            clearerr(file)
            fseeko(file, off_t(recordOffset), SEEK_SET)
            return nil
        }
        if status == PCAP_ERROR, let handle {
            let message = String(cString: pcap_geterr(handle))
            log.report(offset: recordOffset, kind: "truncated", reason: message)
        }
        if let handle { pcap_close(handle) }
        handle = nil
        return nil
    }

    /// Seeks libpcap to the first plausible record at or after `start` (a damaged record began at `damagedAt`).
    /// Returns `false` when none is there yet: in follow mode the search resumes on the next call, otherwise the
    /// rest of the file is counted as skipped and reading ends.
    private func resume(from start: UInt64, damagedAt: UInt64) -> Bool {
        guard let scanner, let file else { return false }
        guard let next = scanner.nextPlausibleRecord(from: start, nearSeconds: lastSeconds) else {
            if follow {
                resynchronising = (start, damagedAt)
            } else {
                let size = scanner.fileSize()
                skippedBytes += size > damagedAt ? size - damagedAt : 0
                log.report(offset: damagedAt, kind: "no-resync",
                           reason: "no plausible pcap record after the damaged one; the last \(size > damagedAt ? size - damagedAt : 0) bytes are skipped")
                if let handle { pcap_close(handle) }
                handle = nil
            }
            return false
        }
        resynchronising = nil
        skippedBytes += next - damagedAt
        clearerr(file)
        fseeko(file, off_t(next), SEEK_SET)
        return true
    }
}
