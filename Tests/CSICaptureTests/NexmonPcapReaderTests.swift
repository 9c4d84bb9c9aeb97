import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// Nexmon pcap reader against csiread 1.4.1 and the MATLAB golden decodes (autoscale 1, as the references decode).
struct NexmonPcapReaderTests {
    static let tolerance = 1e-5

    static func decoder(for chip: String) -> NexmonPayloadDecoder {
        // example_4358.pcap predates the chip field (0xdead): the chip must be named.
        NexmonPayloadDecoder(chipOverride: chip == "4358" ? NexmonChip(name: chip) : nil, autoscale: true)
    }

    @Test(arguments: ["4339", "43455c0", "4358", "4366c0"])
    func matchesCSIRead(chip: String) throws {
        let fixture = try ReferenceFixture("nexmon_example_\(chip)")
        guard let url = fixture.captureURL() else { return }
        let reader = try NexmonPcapReader(path: url.path, decoder: Self.decoder(for: chip))
        let frames = try readAll(reader)
        print("\(chip): csihar \(frames.count) frames, csiread \(fixture.count); issues \(reader.issueCounts)")
        #expect(frames.count == fixture.count)
        #expect(frames.map { Int($0.source.core ?? 99) } == fixture.ints("core"))
        #expect(frames.map { Int($0.source.spatialStream ?? 99) } == fixture.ints("spatial"))
        #expect(frames.map { $0.extras["chanspec"] ?? -1 } == fixture.ints("chan_spec"))
        #expect(frames.map { ($0.sequence ?? -1) } == fixture.ints("sequence").map { $0 >> 4 })
        #expect(frames.allSatisfy { $0.nsub == 256 && $0.bandwidthMHz == 80 && $0.subcarriers.first == -128 })
        let report = FrameChecksums.compare(frames, with: fixture, block: "frames")
        print("\(chip) vs csiread: maxdiff \(report.maxRelative) (\(report.framesCompared) frames by checksum, \(report.samplesCompared) value by value)")
        #expect(report.framesCompared == fixture.count && report.samplesCompared > 0)
        #expect(report.maxRelative <= Self.tolerance)
    }

    @Test(arguments: ["43455c0", "4358", "4366c0"])
    func matchesMATLABGoldenDecode(chip: String) throws {
        let fixture = try ReferenceFixture("matlab_nexmon_example_\(chip)")
        guard let url = fixture.captureURL() else { return }
        let frames = try readAll(try NexmonPcapReader(path: url.path, decoder: Self.decoder(for: chip)))
        // MATLAB keeps only packets with orig_len == 60 + 4 NFFT; the fixture lists which packets those are.
        let packetIndex = fixture.ints("packet_index")
        #expect(packetIndex.count == fixture.count)
        let report = FrameChecksums.compare(frames, with: fixture, block: "frames", frameIndex: { packetIndex[$0] })
        print("\(chip) vs MATLAB: maxdiff \(report.maxRelative) (\(report.framesCompared) frames, \(report.samplesCompared) value by value)")
        #expect(report.framesCompared == fixture.count)
        #expect(report.maxRelative <= Self.tolerance)
    }

    @Test func specTestVectors() throws {
        // New format (output-rssi.pcap header, csi-formats.md §2.2) with 64 zero CSI words.
        let header: [UInt8] = [0x11, 0x11, 0xb5, 0x80, 0xd4, 0x5d, 0x64, 0xd9, 0x4c, 0x2c, 0xa0, 0x9a, 0x00, 0x00,
                               0x2a, 0xe0, 0x65, 0x00]
        let frame = try NexmonPayloadDecoder().decode(header + [UInt8](repeating: 0, count: 256), timestamp: 1)
        #expect(frame.rssi == [-75] && frame.extras["fc"] == 0x80 && frame.sequence == 2474)
        #expect(frame.source.description == "d4:5d:64:d9:4c:2c/core0/ss0")
        #expect(frame.nsub == 64 && frame.subcarriers.first == -32 && frame.subcarriers.last == 31)
        #expect(frame.extras["bandwidth_mismatch"] == 1)   // chanspec says 80 MHz, payload holds 64 bins

        // Old-format 4358 float word 0x004fd031: e = -15, real -63, imag +129; autoscale 0 -> (-129024, 264192).
        let old: [UInt8] = [0x11, 0x11, 0x11, 0x11, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9b, 0xb0, 0x00, 0x00, 0x00,
                            0x9b, 0xe2, 0xad, 0xde]
        var words = [UInt8](repeating: 0, count: 256)
        words.replaceSubrange(0..<4, with: [0x31, 0xd0, 0x4f, 0x00])
        let fixed = NexmonPayloadDecoder(chipOverride: .bcm4358, autoscale: false)
        let decoded = try fixed.decode(old + words, timestamp: 0)
        #expect(decoded.real[32] == -129024 && decoded.imag[32] == 264192)   // bin 0 = column NFFT/2
        #expect(throws: RecordDecodeError.self) { try NexmonPayloadDecoder().decode(old + words, timestamp: 0) }
    }

    /// The default decode keeps the radio's scale: two packets whose CSI differs by a factor of 1.5 (across a power
    /// of two) decode 1.5 apart, so the ratio between cores and packets is the channel's. Autoscale (the references'
    /// decode) gives each packet its own power of two and the same two packets come out 0.75 apart.
    @Test func defaultDecodeKeepsTheScaleBetweenPackets() throws {
        func payload(realMagnitude: UInt32) -> [UInt8] {
            let header: [UInt8] = [0x11, 0x11, 0xc0, 0x88, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0x2a, 0xd0, 0x6a, 0x00]
            var words: [UInt8] = []
            for _ in 0..<64 { words += withUnsafeBytes(of: (realMagnitude << 18).littleEndian, Array.init) }
            return header + words
        }
        let quiet = payload(realMagnitude: 200), loud = payload(realMagnitude: 300)   // top bits 7 and 8
        let fixed = NexmonPayloadDecoder()
        let fixedRatio = try fixed.decode(loud, timestamp: 0).real[40] / fixed.decode(quiet, timestamp: 0).real[40]
        let autoscaled = NexmonPayloadDecoder(autoscale: true)
        let autoRatio = try autoscaled.decode(loud, timestamp: 0).real[40] / autoscaled.decode(quiet, timestamp: 0).real[40]
        print("packets 1.5 apart decode \(fixedRatio) apart (default), \(autoRatio) apart (autoscale)")
        #expect(fixedRatio == 1.5)
        #expect(autoRatio == 0.75)
    }

    @Test func newFormatPhyStatusBinsDoNotSkewTheAutoscale() throws {
        // 4366c0 words: exponent 0, real magnitude 5 in every bin; bins 0..2 carry a huge exponent (phy status).
        func word(realMagnitude: UInt32, exponent: UInt32) -> [UInt8] {
            let h = realMagnitude << 18 | exponent
            return withUnsafeBytes(of: h.littleEndian, Array.init)
        }
        var words: [UInt8] = []
        for bin in 0..<64 { words += word(realMagnitude: 5, exponent: bin < 3 ? 31 : 0) }
        let newHeader: [UInt8] = [0x11, 0x11, 0xc0, 0x88, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0x2a, 0xd0, 0x6a, 0x00]
        var oldHeader = newHeader
        oldHeader.replaceSubrange(0..<4, with: [0x11, 0x11, 0x11, 0x11])
        let autoscaled = NexmonPayloadDecoder(autoscale: true)
        let newFrame = try autoscaled.decode(newHeader + words, timestamp: 0)
        let oldFrame = try autoscaled.decode(oldHeader + words, timestamp: 0)
        // 20 MHz: the overwritten bins are +28..+30 (columns 60..62), so here the large bins 0..2 count in both
        // formats; move them to 28..30 for the new format and the data bins must decode as without them.
        var shifted: [UInt8] = []
        for bin in 0..<64 { shifted += word(realMagnitude: 5, exponent: (28...30).contains(bin) ? 31 : 0) }
        let masked = try autoscaled.decode(newHeader + shifted, timestamp: 0)
        var clean: [UInt8] = []
        for _ in 0..<64 { clean += word(realMagnitude: 5, exponent: 0) }
        let reference = try autoscaled.decode(oldHeader + clean, timestamp: 0)
        print("phy-status autoscale: data bin with overwritten bins excluded \(masked.real[32]), clean \(reference.real[32]), old format with large bins \(oldFrame.real[35])")
        #expect(masked.real[32] == reference.real[32] && masked.real[32] == 5 * 256)   // 5 << (10 - 2)
        #expect(newFrame.real[35] == oldFrame.real[35])   // bins 0..2 are not phy-status bins at 20 MHz
        #expect(NexmonPayloadDecoder.phyStatusSubcarriers(nfft: 64) == [28, 29, 30])
        #expect(NexmonPayloadDecoder.phyStatusSubcarriers(nfft: 256) == [0, 1, 2])
    }

    @Test func linkLayersAndUDPChecks() throws {
        let payload: [UInt8] = [0x11, 0x11, 0xc6, 0x88, 1, 2, 3, 4, 5, 6, 0x10, 0x00, 0x09, 0x00, 0x2a, 0xd0, 0x65, 0x00]
            + (0..<256).map { UInt8($0 & 0xFF) }
        let ip = PcapBuilder.ipv4UDP(payload: payload)
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00] + ip
        let sll2: [UInt8] = [0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0] + ip
        let cases: [(UInt32, [UInt8])] = [
            (1, PcapBuilder.ethernet(ip)), (1, PcapBuilder.ethernet(ip, vlan: true)), (113, sll), (276, sll2),
            (101, ip), (228, ip), (1, PcapBuilder.ethernet(ip) + [0xde, 0xad, 0xbe, 0xef]),
        ]
        for (linkType, packet) in cases {
            let path = try TemporaryFile.write(PcapBuilder.file(linkType: linkType, packets: [packet]), name: "l\(linkType).pcap")
            let frames = try readAll(try NexmonPcapReader(path: path))
            #expect(frames.count == 1, "link type \(linkType)")
            #expect(frames.first?.nsub == 64 && frames.first?.source.core == 1 && frames.first?.source.spatialStream == 1)
            #expect(frames.first?.real[32] == Float(Int16(bitPattern: 0x0100)))
        }
        // Fragment, other port, truncated capture: skipped and counted.
        let fragment = PcapBuilder.ethernet(PcapBuilder.ipv4UDP(payload: payload, fragmentField: 0x2000))
        let otherPort = PcapBuilder.ethernet(PcapBuilder.ipv4UDP(payload: payload, port: 53))
        let truncated = Array(PcapBuilder.ethernet(ip).prefix(200))
        let path = try TemporaryFile.write(PcapBuilder.file(linkType: 1, packets: [fragment, otherPort, truncated,
                                                                                    PcapBuilder.ethernet(ip)]),
                                           name: "mixed.pcap")
        let reader = try NexmonPcapReader(path: path)
        let frames = try readAll(reader)
        print("mixed pcap issues: \(reader.issueCounts)")
        #expect(frames.count == 1)
        #expect(reader.issueCounts == ["fragment": 1, "other-port": 1, "truncated": 1])
    }

    /// A pcap of `count` Nexmon packets followed by a damaged record (capture length 2 GB and `junk` bytes),
    /// then `count` more packets; returns the bytes and the damaged record's offset.
    static func pcapWithDamagedRecord(count: Int, junk: Int) -> ([UInt8], Int) {
        let payload: [UInt8] = [0x11, 0x11, 0xc6, 0x88, 1, 2, 3, 4, 5, 6, 0x10, 0x00, 0x09, 0x00, 0x2a, 0xd0, 0x65, 0x00]
            + (0..<256).map { UInt8($0 & 0xFF) }
        let packet = PcapBuilder.ethernet(PcapBuilder.ipv4UDP(payload: payload))
        let good = PcapBuilder.file(linkType: 1, packets: Array(repeating: packet, count: count))
        var damaged: [UInt8] = []
        for v: UInt32 in [1_700_000_100, 0, 0x8000_0000, 0x8000_0000] { damaged += withUnsafeBytes(of: v.littleEndian, Array.init) }
        damaged += [UInt8](repeating: 0xab, count: junk)
        let more = Array(PcapBuilder.file(linkType: 1, packets: Array(repeating: packet, count: count)).dropFirst(24))
        return (good + damaged + more, good.count)
    }

    @Test func aRecordWithAnImpossibleLengthIsSkippedAndReadingResumes() throws {
        for junk in [0, 37] {
            let (bytes, damagedAt) = Self.pcapWithDamagedRecord(count: 5, junk: junk)
            let path = try TemporaryFile.write(bytes, name: "damaged.pcap")
            let collector = IssueCollector()
            let reader = try NexmonPcapReader(path: path)
            reader.onIssue = collector.append
            let frames = try readAll(reader)
            for issue in collector.all { print("  \(issue)") }
            #expect(frames.count == 10, "junk \(junk)")
            #expect(reader.issueCounts == ["bad-length": 1] && reader.skippedBytes == UInt64(16 + junk))
            let issue = try #require(collector.all.first)
            #expect(issue.offset == UInt64(damagedAt) && issue.source == path && issue.reason.contains("2147483664"))
        }
        // Nothing plausible after the damaged record: the rest is counted, the frames before it are kept.
        let (bytes, _) = Self.pcapWithDamagedRecord(count: 3, junk: 64)
        let tail = try TemporaryFile.write(Array(bytes.prefix(bytes.count - 3 * 348 + 10)), name: "damaged-tail.pcap")
        let reader = try NexmonPcapReader(path: tail)
        #expect(try readAll(reader).count == 3)
        print("damaged tail: \(reader.issueCounts), skipped \(reader.skippedBytes)")
        #expect(reader.issueCounts["bad-length"] == 1 && reader.issueCounts["no-resync"] == 1)
        // Follow mode: the damaged record is skipped once the records after it arrive.
        let (all, damagedAt) = Self.pcapWithDamagedRecord(count: 2, junk: 5)
        let growing = try TemporaryFile.write(Array(all.prefix(damagedAt + 16 + 5)), name: "growing.pcap")
        let follower = try NexmonPcapReader(path: growing, follow: true)
        #expect(try readAll(follower).count == 2)
        let handle = try #require(FileHandle(forWritingAtPath: growing))
        handle.seekToEndOfFile()
        handle.write(Data(all.dropFirst(damagedAt + 16 + 5)))
        try handle.close()
        #expect(try readAll(follower).count == 2 && follower.issueCounts == ["bad-length": 1])
    }
}
