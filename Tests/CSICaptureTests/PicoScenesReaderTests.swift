import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// PicoScenes reader against csiread 1.4.1 (every frame of the shared captures) and built frames.
struct PicoScenesReaderTests {
    static let tolerance = 1e-5

    /// `frame` with the CSI entries at `indices` set to zero (the tones csiread does not return).
    static func masked(_ frame: CSIFrame, _ indices: [Int]) -> CSIFrame {
        var copy = frame
        for i in indices where i < copy.real.count { copy.real[i] = 0; copy.imag[i] = 0 }
        return copy
    }

    @Test(arguments: ["picoscenes_ax200_example", "picoscenes_iwl5300_example", "rx_by_iwl5300"])
    func matchesCSIRead(name: String) throws {
        let fixture = try ReferenceFixture("picoscenes_\(name)")
        guard let url = fixture.captureURL() else { return }
        let reader = try PicoScenesReader(path: url.path)
        let frames = try readAll(reader)
        print("\(name): csihar \(frames.count) frames, csiread \(fixture.count); issues \(reader.issueCounts); segments \(reader.segmentCounts)")
        #expect(frames.count == fixture.count && reader.issueCounts.isEmpty)
        #expect(frames.map(\.nrx) == fixture.ints("nrx") && frames.map(\.ntx) == fixture.ints("ntx"))
        #expect(frames.map(\.nsub) == fixture.ints("nsub") && frames.map(\.bandwidthMHz) == fixture.ints("cbw"))
        #expect(frames.map { $0.extras["device_type"] ?? -1 } == fixture.ints("device"))
        #expect(frames.map { $0.subcarriers.first ?? 0 } == fixture.ints("subcarriers_first"))
        #expect(frames.map { $0.subcarriers.last ?? 0 } == fixture.ints("subcarriers_last"))
        // The 802.11 sequence number where the MPDU has a full 24-byte header (csiread reads past shorter ones).
        let mpduLength = fixture.ints("mpdu_length")
        #expect(frames.map { $0.sequence == nil } == mpduLength.map { $0 < 24 })
        #expect(zip(frames, fixture.ints("sequence")).allSatisfy { $0.sequence == nil || $0.sequence == $1 })
        #expect(frames.map { $0.noise ?? -128 } == fixture.ints("noise"))
        let rssi = (fixture.json["rssi"] as? [[Int]]) ?? []
        #expect(frames.map(\.rssi) == rssi)
        // AX200: the MVMExtra microsecond clock; IWL5300: the RxSBasic hardware timestamp in microseconds.
        let clock = frames.map { $0.device == .picoScenes(deviceType: 0x5300)
            ? Int(($0.timestamp * 1e6).rounded()) : $0.extras["mu_clock"] ?? -1 }
        #expect(clock == fixture.ints("timestamp_us"))
        #expect(frames.first?.source.transmitter == fixture.ints("source0").map { UInt8($0) })
        #expect(frames.allSatisfy { $0.subcarriers == $0.subcarriers.sorted() && Set($0.subcarriers).count == $0.nsub })

        let uncovered = fixture.json["uncovered"] as? [String: [Int]] ?? [:]
        let comparable = frames.map { f in Self.masked(f, uncovered["\(f.nsub)x\(f.nrx)x\(f.ntx)"] ?? []) }
        let report = FrameChecksums.compare(comparable, with: fixture, block: "frames")
        let skipped = uncovered.map { "\($0.key): \($0.value.count) values" }.joined(separator: ", ")
        print("\(name) vs csiread: maxdiff \(report.maxRelative) (\(report.framesCompared) frames by checksum, \(report.samplesCompared) value by value; not returned by csiread: \(skipped.isEmpty ? "none" : skipped))")
        #expect(report.framesCompared == fixture.count && report.samplesCompared > 0)
        #expect(report.maxRelative <= Self.tolerance)
    }

    @Test func everySegmentVersionAndTheAX2xxTensorOrder() throws {
        for rxVersion in 1...5 {
            for csiVersion in 3...4 {
                let buffer = PicoScenesBuilder.mvmBuffer(tones: 56, numTx: 2, numRx: 2)
                let bytes = PicoScenesBuilder.frame(segments: [
                    PicoScenesBuilder.segment("RxSBasic", version: UInt16(rxVersion),
                                              body: PicoScenesBuilder.rxBasic(version: rxVersion, deviceType: 0x2100, timestamp: 77,
                                                                              systemTime: rxVersion >= 4 ? 1_700_000_000_123_456_789 : 0)),
                    PicoScenesBuilder.segment("ExtraInfo", version: 1, body: [0, 0, 0, 0]),
                    PicoScenesBuilder.segment("MVMExtra", version: 1, body: PicoScenesBuilder.mvmExtra(muClock: 5_000_000)),
                    PicoScenesBuilder.segment("CSI", version: UInt16(csiVersion),
                                              body: PicoScenesBuilder.csi(version: csiVersion, deviceType: 0x2100, tones: 56,
                                                                          numTx: 2, numRx: 2, buffer: buffer)),
                ])
                let reader = PicoScenesReader(bytes: bytes)
                let frames = try readAll(reader)
                #expect(frames.count == 1 && reader.issueCounts.isEmpty, "RxSBasic v\(rxVersion) CSI v\(csiVersion)")
                guard let f = frames.first else { continue }
                #expect(f.nrx == 2 && f.ntx == 2 && f.nsub == 56 && f.subcarriers.first == -28 && !f.subcarriers.contains(0))
                // (tx 1, rx 0, tone 3) came from buffer position (rx 0, tx 1, tone 3).
                #expect(f.real[f.index(tx: 1, rx: 0, subcarrier: 3)] == 103 && f.real[f.index(tx: 0, rx: 1, subcarrier: 55)] == 1055)
                #expect(f.rssi == [-41, -42] && f.noise == -90 && f.source.transmitterString == "02:00:00:00:00:07" && f.sequence == 5)
                #expect(abs(f.timestamp - (rxVersion >= 4 ? 1_700_000_000.123456789 : 5.0)) < 1e-6, "v\(rxVersion) timestamp \(f.timestamp)")
                #expect(reader.segmentCounts["MVMExtra v1"] == 1 && reader.segmentCounts["ExtraInfo v1"] == 1)
            }
        }
    }

    @Test func toneLayoutsGapsOffsetsAndIWL5300() throws {
        func frame(tones: Int, cbw: UInt16, format: Int8, offset: Int16 = 0) throws -> CSIFrame? {
            let body = PicoScenesBuilder.csi(version: 4, deviceType: 0x2000, format: format, cbw: cbw, tones: UInt16(tones), numTx: 1,
                                             numRx: 1, subcarrierOffset: offset,
                                             buffer: PicoScenesBuilder.mvmBuffer(tones: tones, numTx: 1, numRx: 1))
            return try readAll(PicoScenesReader(bytes: PicoScenesBuilder.frame(segments: [
                PicoScenesBuilder.segment("CSI", version: 4, body: body)]))).first
        }
        let cases: [(Int, UInt16, Int8, Int, Int, Int)] = [   // tones, cbw, format, nsub, first, last
            (52, 20, 0, 52, -26, 26), (56, 20, 1, 56, -28, 28), (114, 40, 1, 114, -58, 58), (242, 80, 2, 242, -122, 122),
            (484, 160, 2, 484, -250, 250), (242, 20, 3, 242, -122, 122), (484, 40, 3, 484, -244, 244),
            (996, 80, 3, 996, -500, 500), (1992, 160, 3, 1992, -1012, 1012), (2020, 160, 3, 1992, -1012, 1012),
            (498, 160, 2, 484, -250, 250),
        ]
        for (tones, cbw, format, nsub, first, last) in cases {
            let f = try #require(try frame(tones: tones, cbw: cbw, format: format), "\(tones) tones")
            #expect(f.nsub == nsub && f.subcarriers.first == first && f.subcarriers.last == last && f.bandwidthMHz == Int(cbw))
        }
        // Firmware gap at HE160: raw tones 996..<1024 are dropped, tone 1024 becomes column 996.
        let gap = try #require(try frame(tones: 2020, cbw: 160, format: 3))
        #expect(gap.real[995] == 995 && gap.real[996] == 1024 && gap.subcarriers[996] == 12)
        let shifted = try #require(try frame(tones: 56, cbw: 20, format: 1, offset: 64))
        #expect(shifted.subcarriers.first == 36 && shifted.subcarriers.last == 92)
        // IWL5300 through PicoScenes: 3 rx x 2 tx, 40 MHz grid.
        let payload = Intel5300RecordBuilder.record(timestampLow: 1, bfeeCount: 1, nrx: 3, ntx: 2, antennaSelection: 0)
        let csi = Array(payload[(3 + 20)...])
        let body = PicoScenesBuilder.csi(version: 2, deviceType: 0x5300, cbw: 40, tones: 30, numTx: 2, numRx: 3, buffer: csi)
        let iwl = try #require(try readAll(PicoScenesReader(bytes: PicoScenesBuilder.frame(segments: [
            PicoScenesBuilder.segment("RxSBasic", version: 1, body: PicoScenesBuilder.rxBasic(version: 1, deviceType: 0x5300, timestamp: 2_500_000)),
            PicoScenesBuilder.segment("CSI", version: 2, body: body)]))).first)
        let reference = try Intel5300Decoder.decodeBody(Array(payload[3...]))
        #expect(iwl.nrx == 3 && iwl.ntx == 2 && iwl.subcarriers == Intel5300Decoder.subcarriers40MHz && iwl.timestamp == 2.5)
        #expect(reference.extras["permuted"] == 0 && iwl.real == reference.real && iwl.imag == reference.imag)
        // An unknown tone count still decodes, reported once.
        let odd = PicoScenesBuilder.csi(version: 4, deviceType: 0x2000, cbw: 20, tones: 60, numTx: 1, numRx: 1,
                                        buffer: PicoScenesBuilder.mvmBuffer(tones: 60, numTx: 1, numRx: 1))
        let reader = PicoScenesReader(bytes: PicoScenesBuilder.frame(segments: [PicoScenesBuilder.segment("CSI", version: 4, body: odd)]))
        #expect(try readAll(reader).first?.subcarriers.first == -30 && reader.issueCounts == ["unknown-tone-layout": 1])
    }

    @Test func badFramesAreSkippedCountedAndTheReaderResynchronises() throws {
        let good = PicoScenesBuilder.frame(segments: [PicoScenesBuilder.segment("CSI", version: 4, body: PicoScenesBuilder.csi(
            version: 4, deviceType: 0x2000, tones: 56, numTx: 1, numRx: 2, buffer: PicoScenesBuilder.mvmBuffer(tones: 56, numTx: 1, numRx: 2)))])
        let qca = PicoScenesBuilder.frame(segments: [PicoScenesBuilder.segment("CSI", version: 2, body: PicoScenesBuilder.csi(
            version: 2, deviceType: 0x9300, tones: 56, numTx: 1, numRx: 1, buffer: [UInt8](repeating: 0, count: 140)))])
        let noCSI = PicoScenesBuilder.frame(segments: [PicoScenesBuilder.segment("ExtraInfo", version: 1, body: [0, 0, 0, 0])])
        let huge = PicoScenesBuilder.frame(segments: [], lengthOverride: 0x8000_0000)            // claims 2 GB
        var wrongBuffer = good
        wrongBuffer[wrongBuffer.count - 30] ^= 0xff                                               // MPDU only: still fine
        let badSegment = PicoScenesBuilder.frame(segments: [[0xff, 0xff, 0, 0, 3, 0x43, 0x53, 0x49]])
        let garbage: [UInt8] = Array(repeating: 0x5a, count: 37)
        let bytes = good + qca + noCSI + huge + garbage + wrongBuffer + badSegment + good + Array(good.prefix(40))
        let collector = IssueCollector()
        let reader = PicoScenesReader(bytes: bytes, name: "bad.csi")
        reader.onIssue = collector.append
        let frames = try readAll(reader)
        print("bad frames: \(frames.count) frames, issues \(reader.issueCounts), skipped \(reader.skippedBytes) bytes")
        for issue in collector.all { print("  \(issue)") }
        #expect(frames.count == 3)
        #expect(reader.issueCounts == ["unsupported-device": 1, "no-csi": 1, "bad-length": 1, "bad-segment": 1, "truncated": 1])
        let hugeOffset = UInt64(good.count + qca.count + noCSI.count)
        #expect(collector.all.contains { $0.kind == "bad-length" && $0.offset == hugeOffset && $0.source == "bad.csi" })
        #expect(collector.all.first { $0.kind == "unsupported-device" }?.reason.contains("QCA9300") == true)
        #expect(reader.skippedBytes == UInt64(huge.count + garbage.count + 40))
    }

    @Test func followsAGrowingFileAndDetectsTheFormatByContent() throws {
        let frame = PicoScenesBuilder.frame(segments: [PicoScenesBuilder.segment("CSI", version: 4, body: PicoScenesBuilder.csi(
            version: 4, deviceType: 0x2000, tones: 56, numTx: 1, numRx: 2, buffer: PicoScenesBuilder.mvmBuffer(tones: 56, numTx: 1, numRx: 2)))])
        let path = try TemporaryFile.write([UInt8](), name: "growing.csi")
        let reader = try CaptureFile.open(path: path, options: CaptureOptions(follow: true))
        #expect(try reader.nextFrame() == nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.write(Data(frame.prefix(5)))
        #expect(try reader.nextFrame() == nil)
        handle.write(Data(frame.dropFirst(5).prefix(100)))
        #expect(try reader.nextFrame() == nil)
        handle.write(Data(frame.dropFirst(105)) + Data(frame))
        #expect(try reader.nextFrame()?.nsub == 56)
        #expect(try reader.nextFrame()?.nrx == 2)
        #expect(try reader.nextFrame() == nil && reader.issueCounts.isEmpty)
        try handle.close()
        #expect(try CaptureFile.detectFormat(path: path) == .picoscenes)
        let feit = try TemporaryFile.write(FeitCSIBuilder.record(tones: 56), name: "any-name.bin")
        #expect(try CaptureFile.detectFormat(path: feit) == .feitcsi)
        let neither = try TemporaryFile.write([UInt8](repeating: 7, count: 400), name: "neither.csi")
        #expect(throws: CaptureError.self) { try CaptureFile.detectFormat(path: neither) }
    }
}
