import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// FeitCSI reader against an independent NumPy decoder (scripts/make-csi-fixtures.py) and built records.
struct FeitCSIReaderTests {
    static let tolerance = 1e-5

    @Test(arguments: ["HT20_2452", "VHT80_5500", "HESU80_5500", "HESU160_5500"])
    func matchesNumPyDecoder(name: String) throws {
        let fixture = try ReferenceFixture("feitcsi_\(name)")
        guard let url = fixture.captureURL() else { return }
        let reader = try FeitCSIReader(path: url.path)
        let frames = try readAll(reader)
        print("\(name): csihar \(frames.count) frames, reference \(fixture.count); issues \(reader.issueCounts)")
        #expect(frames.count == fixture.count && reader.issueCounts.isEmpty)
        #expect(frames.map(\.nrx) == fixture.ints("nrx") && frames.map(\.ntx) == fixture.ints("ntx"))
        #expect(frames.map(\.nsub) == fixture.ints("nsub") && frames.map(\.bandwidthMHz) == fixture.ints("bandwidth"))
        #expect(frames.map { $0.subcarriers.first ?? 0 } == fixture.ints("subcarriers_first"))
        #expect(frames.map { $0.subcarriers.last ?? 0 } == fixture.ints("subcarriers_last"))
        #expect(frames.map { $0.extras["mu_clock"] ?? -1 } == fixture.ints("mu_clock"))
        #expect(frames.map { $0.extras["rate_flags"] ?? -1 } == fixture.ints("rate_flags"))
        #expect(frames.map(\.rssi) == (fixture.json["rssi"] as? [[Int]] ?? []))
        #expect(frames.first?.source.transmitter == fixture.ints("source0").map { UInt8($0) })
        #expect(frames.allSatisfy { $0.device == .feitCSI && $0.subcarriers == $0.subcarriers.sorted() })
        let report = FrameChecksums.compare(frames, with: fixture, block: "frames")
        print("\(name) vs NumPy decoder: maxdiff \(report.maxRelative) (\(report.framesCompared) frames by checksum, \(report.samplesCompared) value by value)")
        #expect(report.framesCompared == fixture.count && report.samplesCompared > 0)
        #expect(report.maxRelative <= Self.tolerance)
    }

    @Test func everyFormatAndWidthAndTheTensorOrder() throws {
        let cases: [(Int, UInt32, UInt32, Int, Int)] = [   // tones, modulation, width code, bandwidth, last index
            (52, 1, 0, 20, 26), (56, 2, 0, 20, 28), (114, 2, 1, 40, 58), (56, 3, 0, 20, 28), (114, 3, 1, 40, 58),
            (242, 3, 2, 80, 122), (484, 3, 3, 160, 250), (242, 4, 0, 20, 122), (484, 4, 1, 40, 244),
            (996, 4, 2, 80, 500), (1992, 4, 3, 160, 1012),
        ]
        for (tones, modulation, width, bandwidth, last) in cases {
            for (ntx, nrx) in [(1, 1), (1, 2), (2, 2)] {
                let bytes = FeitCSIBuilder.record(tones: tones, numTx: ntx, numRx: nrx, modulation: modulation, widthCode: width)
                let reader = FeitCSIReader(bytes: bytes)
                let f = try #require(try readAll(reader).first, "\(tones) tones \(ntx)x\(nrx)")
                #expect(reader.issueCounts.isEmpty && f.bandwidthMHz == bandwidth && f.nsub == tones)
                #expect(f.subcarriers.last == last && f.subcarriers.first == -last && f.ntx == ntx && f.nrx == nrx)
                // (tx t, rx r, tone s) holds 1000 r + 100 t + s: the file is ordered rx, tx, tone.
                #expect(f.real[f.index(tx: ntx - 1, rx: nrx - 1, subcarrier: tones - 1)] == Float(1000 * (nrx - 1) + 100 * (ntx - 1) + tones - 1))
                #expect(f.imag[f.index(tx: 0, rx: 0, subcarrier: 7)] == -7 && f.rssi == [-47, -46].prefix(nrx).map { $0 })
            }
        }
    }

    /// The allocation-free check a resynchronising reader makes at every offset gives the header's own verdict:
    /// on real records, on corrupted ones and on every offset of random bytes.
    @Test func rawConsistencyCheckAgreesWithTheHeader() {
        var bytes = FeitCSIBuilder.record(tones: 56) + FeitCSIBuilder.record(tones: 242, csiLengthOverride: 7)
        var generator = SystemRandomNumberGenerator()
        bytes += (0..<4096).map { _ in UInt8.random(in: 0...3, using: &generator) }   // small values: near-plausible
        var agree = 0, consistent = 0
        bytes.withUnsafeBytes { all in
            for at in 0...(all.count - IntelMVMCSIHeader.fieldsSize) {
                let raw = UnsafeRawBufferPointer(rebasing: all[at...])
                let header = IntelMVMCSIHeader(raw).isConsistent
                if header == IntelMVMCSIHeader.isConsistent(raw) { agree += 1 }
                if header { consistent += 1 }
            }
            #expect(!IntelMVMCSIHeader.isConsistent(UnsafeRawBufferPointer(rebasing: all[..<(IntelMVMCSIHeader.fieldsSize - 1)])))
        }
        print("raw header check: \(agree) offsets agree, \(consistent) consistent")
        #expect(agree == bytes.count - IntelMVMCSIHeader.fieldsSize + 1 && consistent >= 1)
    }

    @Test func badHeadersAreSkippedAndTheClockUnwraps() throws {
        let first = FeitCSIBuilder.record(tones: 56, muClock: UInt32.max - 10)
        let corrupt = FeitCSIBuilder.record(tones: 56, csiLengthOverride: 0x8000_0000)        // claims 2 GB
        let second = FeitCSIBuilder.record(tones: 56, muClock: 20)                             // wrapped
        let garbage = [UInt8](repeating: 0x33, count: 51)
        let bytes = first + corrupt + garbage + second + Array(second.prefix(300))
        let collector = IssueCollector()
        let reader = FeitCSIReader(bytes: bytes, name: "bad-feit.csi")
        reader.onIssue = collector.append
        let frames = try readAll(reader)
        for issue in collector.all { print("  \(issue)") }
        #expect(frames.count == 2)
        #expect(frames.count == 2 && abs(frames[1].timestamp - frames[0].timestamp - 31e-6) < 1e-9)
        #expect(reader.issueCounts["bad-header"] == 1 && reader.issueCounts["truncated"] == 1)
        #expect(collector.all.first?.offset == UInt64(first.count) && collector.all.first?.source == "bad-feit.csi")
        #expect(reader.skippedBytes == UInt64(corrupt.count + garbage.count + 300))
    }

    @Test func followsAGrowingFile() throws {
        let record = FeitCSIBuilder.record(tones: 242, modulation: 3, widthCode: 2)
        let path = try TemporaryFile.write(Array(record.prefix(280)), name: "growing-feit.csi")
        let reader = try CaptureFile.open(path: path, options: CaptureOptions(follow: true))
        #expect(try reader.nextFrame() == nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(record.dropFirst(280)) + Data(record))
        #expect(try reader.nextFrame()?.nsub == 242)
        #expect(try reader.nextFrame()?.bandwidthMHz == 80)
        #expect(try reader.nextFrame() == nil && reader.issueCounts.isEmpty)
        try handle.close()
    }
}
