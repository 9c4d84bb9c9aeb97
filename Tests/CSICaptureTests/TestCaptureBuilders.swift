import Foundation

/// Writes test inputs into a fresh temporary directory.
enum TemporaryFile {
    /// Writes `bytes` to a new temporary file and returns its path.
    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("csihar-capture-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Writes `text` as UTF-8.
    static func write(_ text: String, name: String) throws -> String {
        try write(Array(text.utf8), name: name)
    }
}

/// Builds Intel 5300 `log_to_file` records from values: the inverse of the bit unpacking in csi-formats.md §1.3.
enum Intel5300RecordBuilder {
    /// One file record (`u16 BE L`, 0xBB, 20-byte header, packed CSI). `values` are int8 (re, im) pairs in
    /// (subcarrier, chain, tx) order, repeated cyclically to fill 30 * nrx * ntx entries.
    static func record(timestampLow: UInt32, bfeeCount: UInt16, nrx: Int = 3, ntx: Int = 1,
                       rssi: (UInt8, UInt8, UInt8) = (30, 31, 32), noise: Int8 = -127, agc: UInt8 = 40,
                       antennaSelection: UInt8 = 0x24, rate: UInt16 = 0x4101,
                       values: [Int8] = [5, -3, 12, 7, -8, 1]) -> [UInt8] {
        let entries = nrx * ntx
        let payloadLength = 60 * entries + 12
        var payload = [UInt8](repeating: 0, count: payloadLength)
        var bit = 0
        var k = 0
        func put(_ value: Int8) {
            let byte = UInt8(bitPattern: value)
            for b in 0..<8 where byte & (1 << b) != 0 {
                payload[(bit + b) >> 3] |= 1 << UInt8((bit + b) & 7)
            }
            bit += 8
        }
        for _ in 0..<30 {
            bit += 3
            for _ in 0..<entries {
                put(values[k % values.count]); k += 1
                put(values[k % values.count]); k += 1
            }
        }
        var body: [UInt8] = []
        body += withUnsafeBytes(of: timestampLow.littleEndian, Array.init)
        body += withUnsafeBytes(of: bfeeCount.littleEndian, Array.init)
        body += [0, 0, UInt8(nrx), UInt8(ntx), rssi.0, rssi.1, rssi.2, UInt8(bitPattern: noise), agc, antennaSelection]
        body += withUnsafeBytes(of: UInt16(payloadLength).littleEndian, Array.init)
        body += withUnsafeBytes(of: rate.littleEndian, Array.init)
        body += payload
        let length = body.count + 1
        return [UInt8(length >> 8), UInt8(length & 0xFF), 0xBB] + body
    }
}

/// Builds classic pcap files (little-endian, microsecond timestamps).
enum PcapBuilder {
    /// A pcap file with the given link type and packets.
    static func file(linkType: UInt32, packets: [[UInt8]], snaplen: UInt32 = 65535) -> [UInt8] {
        var bytes: [UInt8] = []
        func u32(_ v: UInt32) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
        func u16(_ v: UInt16) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
        u32(0xa1b2c3d4); u16(2); u16(4); u32(0); u32(0); u32(snaplen); u32(linkType)
        for (i, packet) in packets.enumerated() {
            u32(1_700_000_000 + UInt32(i)); u32(250_000); u32(UInt32(packet.count)); u32(UInt32(packet.count))
            bytes += packet
        }
        return bytes
    }

    /// IPv4 + UDP headers around `payload` (to 255.255.255.255:`port`), as the Nexmon firmware builds them.
    static func ipv4UDP(payload: [UInt8], port: UInt16 = 5500, fragmentField: UInt16 = 0) -> [UInt8] {
        let total = 20 + 8 + payload.count
        var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1,
                           UInt8(fragmentField >> 8), UInt8(fragmentField & 0xFF), 1, 17, 0, 0,
                           10, 10, 10, 10, 255, 255, 255, 255]
        let udpLength = 8 + payload.count
        ip += [0x15, 0x7c, UInt8(port >> 8), UInt8(port & 0xFF), UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
        return ip + payload
    }

    /// An Ethernet frame carrying `ipPacket` (optionally with one 802.1Q tag).
    static func ethernet(_ ipPacket: [UInt8], vlan: Bool = false) -> [UInt8] {
        var frame: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x4e, 0x45, 0x58, 0x4d, 0x4f, 0x4e]
        if vlan { frame += [0x81, 0x00, 0x00, 0x05] }
        return frame + [0x08, 0x00] + ipPacket
    }
}
