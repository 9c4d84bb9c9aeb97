import CSICapture

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes Nexmon CSI captures as classic pcap (Ethernet link type, microsecond timestamps): each frame becomes the
/// Ethernet/IPv4/UDP 5500 packet the firmware emits (csi-formats.md §2.1) with the new-format 18-byte payload
/// header (`11 11`, rssi, fc, source MAC, sequence control, core/stream, chanspec, chip; §2.2) and NFFT CSI words
/// in FFT order (§2.4): int16 (real, imag) for bcm43455c0/bcm4339, packed float for bcm4366c0/bcm4358.
public final class NexmonPcapWriter {
    /// Output path.
    public let path: String
    /// Packets written.
    public private(set) var packetCount = 0
    private let output: BinaryFileWriter

    /// Creates (truncates) `path` and writes the pcap file header.
    public init(path: String) throws(WriterError) {
        self.path = path
        output = try BinaryFileWriter(path: path)
        var header: [UInt8] = []
        header.appendLE32(0xa1b2_c3d4)   // magic, microsecond timestamps
        header.appendLE16(2)
        header.appendLE16(4)
        header.appendLE32(0)             // thiszone
        header.appendLE32(0)             // sigfigs
        header.appendLE32(65535)         // snaplen
        header.appendLE32(1)             // LINKTYPE_ETHERNET
        try output.write(header)
    }

    /// Appends one frame (one core/stream) as a packet. The frame must have NFFT = 64/128/256 ascending signed
    /// subcarriers (-NFFT/2 ..< NFFT/2).
    public func write(_ frame: CSIFrame) throws(WriterError) {
        let nfft = frame.nsub
        guard [64, 128, 256].contains(nfft), frame.subcarriers.first == -nfft / 2 else {
            throw WriterError(path: path, reason: "Nexmon frames need 64/128/256 subcarriers from -NFFT/2, got \(nfft)")
        }
        let chip: UInt16
        if case let .nexmon(id) = frame.device { chip = id } else { chip = UInt16(frame.extras["chip"] ?? 101) }
        let packedFloat = chip == 106 || chip == 3

        var payload: [UInt8] = [0x11, 0x11]
        payload.append(UInt8(bitPattern: Int8(clamping: frame.rssi.first ?? 0)))
        payload.append(UInt8(truncatingIfNeeded: frame.extras["fc"] ?? 0x88))
        let mac = frame.source.transmitter ?? [0, 0, 0, 0, 0, 0]
        payload.append(contentsOf: mac.count == 6 ? mac : [0, 0, 0, 0, 0, 0])
        payload.appendLE16(((frame.sequence ?? packetCount) & 0xFFF) << 4)
        payload.appendLE16(Int(frame.source.core ?? 0) & 7 | (Int(frame.source.spatialStream ?? 0) & 7) << 3)
        payload.appendLE16(frame.extras["chanspec"] ?? Self.defaultChanspec(nfft: nfft))
        payload.appendLE16(Int(chip))
        for bin in 0..<nfft {
            // FFT bin n holds subcarrier n (n < NFFT/2) or n - NFFT
            let column = bin < nfft / 2 ? bin + nfft / 2 : bin - nfft / 2
            let re = frame.real[column], im = frame.imag[column]
            if packedFloat {
                payload.appendLE32(Int(Self.packFloat(real: re, imag: im)))
            } else {
                payload.appendLE16(Int(Int16(clamping: Int(re.rounded()))))
                payload.appendLE16(Int(Int16(clamping: Int(im.rounded()))))
            }
        }

        var packet: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x4e, 0x45, 0x58, 0x4d, 0x4f, 0x4e, 0x08, 0x00]
        let ipTotal = 20 + 8 + payload.count
        var ip: [UInt8] = [0x45, 0x00]
        ip.appendBE16(ipTotal)
        ip += [0x00, 0x01, 0x00, 0x00, 0x01, 0x11, 0x00, 0x00, 10, 10, 10, 10, 255, 255, 255, 255]
        let checksum = Self.ipChecksum(ip)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xff)
        packet += ip
        packet.appendBE16(5500)
        packet.appendBE16(5500)
        packet.appendBE16(8 + payload.count)
        packet.appendBE16(0)
        packet += payload

        let micros = Int64((frame.timestamp * 1e6).rounded())
        var record: [UInt8] = []
        record.appendLE32(Int(micros / 1_000_000))
        record.appendLE32(Int(micros % 1_000_000))
        record.appendLE32(packet.count)
        record.appendLE32(packet.count)
        try output.write(record + packet)
        packetCount += 1
    }

    /// Flushes and closes the file.
    public func close() throws(WriterError) { try output.close() }

    /// Chanspec for a 5 GHz channel of the bandwidth implied by NFFT.
    static func defaultChanspec(nfft: Int) -> Int {
        switch nfft {
        case 128: return 0xC000 | 0x1800 | 38
        case 256: return 0xC000 | 0x2000 | 42
        default: return 0xC000 | 0x1000 | 36
        }
    }

    /// One's-complement checksum of an IPv4 header (checksum field zero).
    static func ipChecksum(_ header: [UInt8]) -> Int {
        var sum = 0
        for i in stride(from: 0, to: header.count, by: 2) { sum += Int(header[i]) << 8 | Int(header[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~sum & 0xffff
    }

    /// bcm4366c0 packed float word: sign(29) real magnitude(18-28) sign(17) imag magnitude(6-16) exponent(0-5,
    /// two's complement), value = +-m * 2^e (the decoder's `unpack_float_acphy` layout, nman 12, nexp 6).
    static func packFloat(real: Float, imag: Float) -> UInt32 {
        let largest = Double(max(abs(real), abs(imag)))
        guard largest > 0 else { return 0 }
        var e = Int((log2(largest / 2047)).rounded(.up))
        e = min(max(e, -32), 31)
        while e < 31 && (largest / pow(2, Double(e))).rounded() > 2047 { e += 1 }
        let scale = pow(2, Double(-e))
        let mr = UInt32(min((Double(abs(real)) * scale).rounded(), 2047))
        let mi = UInt32(min((Double(abs(imag)) * scale).rounded(), 2047))
        var word = UInt32(bitPattern: Int32(e)) & 0x3f
        word |= mi << 6
        if imag < 0 { word |= 1 << 17 }
        word |= mr << 18
        if real < 0 { word |= 1 << 29 }
        return word
    }
}
