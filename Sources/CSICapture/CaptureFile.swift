#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The capture file formats csihar reads.
public enum CaptureFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Intel 5300 CSI Tool `log_to_file` (`.dat`).
    case intel5300
    /// Nexmon CSI UDP packets in a pcap/pcapng file.
    case nexmon
    /// ESP32-CSI-Tool CSV.
    case esp32
    /// Atheros CSI Tool `recv_csi` log.
    case atheros
    /// PicoScenes `.csi` (Intel AX200/AX210 and IWL5300 frames).
    case picoscenes
    /// FeitCSI `.csi` (Intel AX200/AX210).
    case feitcsi

    /// The raw value.
    public var description: String { rawValue }
}

/// Options that apply to some formats only.
public struct CaptureOptions: Sendable {
    /// Follow a growing file: `nextFrame()` returns `nil` at the current end and can be called again later.
    public var follow: Bool
    /// Nexmon: the chip to assume regardless of the payload's chip field.
    public var nexmonChip: NexmonChip?
    /// Nexmon packed-float chips (4366c0, 4358): rescale each packet by its own power of two as the MATLAB references
    /// and csiread do (true; `csihar replay`/`inspect`, to compare decodes), or keep the radio's own scale (false,
    /// the default: features, `evaluate`, `dataset`, the daemon). Autoscale gives each core's packet its own factor
    /// of 2, which the CSI ratio between cores cannot cancel.
    public var nexmonAutoscale: Bool
    /// Nexmon: UDP destination port of the CSI datagrams (`nil`: any).
    public var udpPort: UInt16?
    /// Intel 5300: the host-time side file (default `<file>stp` when present; `""` disables it).
    public var hostTimePath: String?
    /// Atheros: force the byte order of the framing (`nil`: detect from the first record).
    public var atherosBigEndian: Bool?

    /// Creates options; the defaults suit every shared sample capture.
    public init(follow: Bool = false, nexmonChip: NexmonChip? = nil, nexmonAutoscale: Bool = false,
                udpPort: UInt16? = 5500, hostTimePath: String? = nil, atherosBigEndian: Bool? = nil) {
        self.follow = follow
        self.nexmonChip = nexmonChip
        self.nexmonAutoscale = nexmonAutoscale
        self.udpPort = udpPort
        self.hostTimePath = hostTimePath
        self.atherosBigEndian = atherosBigEndian
    }
}

/// Opens capture files of any supported format.
public enum CaptureFile {
    /// Opens `path` with the reader for `format` (detected from the extension and the first bytes when `nil`).
    public static func open(path: String, format: CaptureFormat? = nil,
                            options: CaptureOptions = CaptureOptions()) throws -> any CaptureReader {
        if format == nil, options.follow, path.lowercased().hasSuffix(".csi"),
           try readHead(path: path, count: IntelMVMCSIHeader.size).count < IntelMVMCSIHeader.size {
            // A capture that has just started: tell PicoScenes from FeitCSI once its first bytes are written.
            return try CSIFileFormatFollower(path: path)
        }
        let chosen = try format ?? detectFormat(path: path)
        switch chosen {
        case .intel5300:
            return try Intel5300Reader(path: path, hostTimePath: options.hostTimePath, follow: options.follow)
        case .nexmon:
            let decoder = NexmonPayloadDecoder(chipOverride: options.nexmonChip, autoscale: options.nexmonAutoscale)
            return try NexmonPcapReader(path: path, decoder: decoder, port: options.udpPort, follow: options.follow)
        case .esp32:
            return try ESP32CSVReader(path: path, follow: options.follow)
        case .atheros:
            return try AtherosReader(path: path, bigEndian: options.atherosBigEndian, follow: options.follow)
        case .picoscenes:
            return try PicoScenesReader(path: path, follow: options.follow)
        case .feitcsi:
            return try FeitCSIReader(path: path, follow: options.follow)
        }
    }

    /// Detects the format from the first bytes (pcap/pcapng magic, PicoScenes magic, a FeitCSI record header, CSV
    /// text, Intel or Atheros framing), falling back to the extension. Throws ``CaptureError`` when nothing matches.
    public static func detectFormat(path: String) throws -> CaptureFormat {
        let head = try readHead(path: path, count: IntelMVMCSIHeader.size)
        let lowered = path.lowercased()
        if head.count >= 4 {
            let magic = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
            let pcapMagics: Set<UInt32> = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a,
                                           0xa1b2cd34, 0x34cdb2a1]
            if pcapMagics.contains(magic) { return .nexmon }
        }
        if head.count >= 8 && Array(head[4..<8]) == [0x15, 0x03, 0x15, 0x20] { return .picoscenes }
        if head.withUnsafeBytes({ FeitCSIReader.plausibleHeader($0) }) { return .feitcsi }
        if lowered.hasSuffix(".csi") {
            throw CaptureError(source: path, offset: 0,
                               reason: head.isEmpty ? "empty .csi file: neither PicoScenes nor FeitCSI can be told from it; pass --capture-format picoscenes|feitcsi"
                                   : "a .csi file with neither the PicoScenes magic (15 03 15 20 at byte 4) nor a FeitCSI record header (csi_length = 4 x rx x tx x tones); pass --capture-format picoscenes|feitcsi")
        }
        if head.starts(with: Array("CSI_DATA".utf8)) || head.starts(with: Array("type,".utf8)) { return .esp32 }
        if looksLikeIntel(head) { return .intel5300 }
        if looksLikeAtheros(head) { return .atheros }
        if lowered.hasSuffix(".pcap") || lowered.hasSuffix(".pcapng") || lowered.hasSuffix(".cap") { return .nexmon }
        if lowered.hasSuffix(".csv") { return .esp32 }
        if lowered.hasSuffix(".dat") {
            // Empty or corrupt .dat: the Intel reader reports what is wrong record by record.
            return .intel5300
        }
        throw CaptureError(source: path, offset: 0,
                           reason: "cannot tell the capture format from the extension or first bytes; pass --capture-format intel5300|nexmon|esp32|atheros|picoscenes|feitcsi")
    }

    /// A BE record length and a known CSI Tool code at byte 2.
    static func looksLikeIntel(_ head: [UInt8]) -> Bool {
        guard head.count >= 3 else { return false }
        let length = Int(head[0]) << 8 | Int(head[1])
        return length >= 1 && length <= Intel5300Decoder.maximumRecordLength
            && (head[2] == Intel5300Decoder.beamformingCode || Intel5300Decoder.otherKnownCodes.contains(head[2]))
    }

    /// An Atheros record header: 56/114 tones, 1...3 rx and tx, csi_len matching, in either byte order.
    static func looksLikeAtheros(_ head: [UInt8]) -> Bool {
        AtherosReader.plausibleHeader(head, at: 0, bigEndian: false) || AtherosReader.plausibleHeader(head, at: 0, bigEndian: true)
    }

    /// Up to `count` bytes from the start of the file.
    static func readHead(path: String, count: Int) throws -> [UInt8] {
        let stream = try FileByteStream(path: path, chunkSize: 4096)
        _ = stream.fill(atLeast: count)
        let available = min(count, stream.available)
        return stream.withBytes(count: available) { Array($0) }
    }
}
