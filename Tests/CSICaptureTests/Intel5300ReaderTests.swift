import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// Intel 5300 `.dat` reader against csiread 1.4.1 and the MATLAB golden decodes.
struct Intel5300ReaderTests {
    static let tolerance = 1e-5

    @Test func specTestVectorFirstRecordOfLogAllCSI() throws {
        guard let url = SharedData.file("captures/intel5300/log.all_csi.6.7.6.dat") else { return }
        let reader = try Intel5300Reader(path: url.path)
        let frame = try #require(try reader.nextFrame())
        #expect(frame.extras["timestamp_low"] == 4)
        #expect(frame.sequence == 72)
        #expect(frame.nrx == 3 && frame.ntx == 1)
        #expect(frame.rssi == [33, 37, 41])
        #expect(frame.noise == -127 && frame.agc == 38)
        #expect(frame.extras["antenna_sel"] == 6 && frame.extras["rate"] == 0x100 && frame.extras["permuted"] == 1)
        #expect(frame.subcarriers == Intel5300Decoder.subcarriers20MHz)
        // perm [2, 1, 0]: antenna A = chain 2 = 11-3j, B = 10+6j, C = -5+14j (csi-formats.md §1.4).
        let expected: [(Float, Float)] = [(11, -3), (10, 6), (-5, 14)]
        for (rx, value) in expected.enumerated() {
            let i = frame.index(tx: 0, rx: rx, subcarrier: 0)
            #expect(frame.real[i] == value.0 && frame.imag[i] == value.1)
        }
        let rss = Intel5300Scaling.totalRSS(of: frame)
        #expect(abs(rss - -39.0782) < 1e-4)
        let scaled = Intel5300Scaling.scaled(frame)
        let expectedScaled: [(Double, Double)] = [(6.3421, -1.7297), (5.7656, 3.4593), (-2.8828, 8.0718)]
        for (rx, value) in expectedScaled.enumerated() {
            let i = scaled.index(tx: 0, rx: rx, subcarrier: 0)
            #expect(abs(Double(scaled.real[i]) - value.0) < 1e-4 && abs(Double(scaled.imag[i]) - value.1) < 1e-4)
        }
    }

    @Test(arguments: ["empty", "example", "log.all_csi.6.7.6", "malformed_zero_frames", "sample_0x1_ap"])
    func matchesCSIRead(name: String) throws {
        let fixture = try ReferenceFixture("intel5300_\(name)")
        guard let url = fixture.captureURL() else { return }
        let reader = try Intel5300Reader(path: url.path)
        let issues = IssueCollector()
        reader.onIssue = issues.append
        let frames = try readAll(reader)
        print("\(name): csihar \(frames.count) frames, csiread \(fixture.count); issues \(reader.issueCounts)")
        if let resync = fixture.json["after_resync"] as? [String: Any] {
            // csiread stops at the first bad length; csihar reports it and resynchronises. The frames found after
            // the resync must be exactly csiread's decode of the file's bytes from that offset on.
            let offset = resync["offset"] as? Int ?? -1
            #expect(frames.count == resync["count"] as? Int)
            #expect(issues.all.first?.offset == 0 && issues.all.first?.kind == "bad-length")
            #expect(reader.skippedBytes == UInt64(offset))
            let report = FrameChecksums.compare(frames, with: ReferenceFixture(json: resync), block: "frames")
            print("\(name): \(frames.count) frames recovered after skipping \(offset) bytes; vs csiread from that offset: maxdiff \(report.maxRelative)")
            #expect(report.framesCompared == frames.count && report.maxRelative <= Self.tolerance)
            return
        }
        #expect(frames.count == fixture.count)
        guard frames.count == fixture.count, !frames.isEmpty else { return }
        #expect(frames.map(\.nrx) == fixture.ints("nrx"))
        #expect(frames.map(\.ntx) == fixture.ints("ntx"))
        #expect(frames.map { $0.extras["timestamp_low"] ?? -1 } == fixture.ints("timestamp_low"))
        #expect(frames.map { $0.sequence ?? -1 } == fixture.ints("bfee_count"))
        #expect(frames.map { $0.noise ?? 0 } == fixture.ints("noise"))
        #expect(frames.map { $0.agc ?? -1 } == fixture.ints("agc"))
        #expect(frames.map { $0.extras["rate"] ?? -1 } == fixture.ints("rate"))
        let rssi = (fixture.json["rssi"] as? [[Int]]) ?? []
        #expect(frames.map(\.rssi) == rssi)
        let totalRSS = fixture.doubles("total_rss")
        let rssDiff = zip(frames, totalRSS).map { abs(Intel5300Scaling.totalRSS(of: $0) - $1) / abs($1) }.max() ?? 0
        print("\(name): total_rss max relative difference \(rssDiff)")
        #expect(rssDiff <= Self.tolerance)

        // csiread applies the permutation for every Nrx; csihar (MATLAB/CSIKit) only for Nrx = 3 — all 3 here.
        #expect(frames.allSatisfy { $0.nrx == 3 })
        let raw = FrameChecksums.compare(frames, with: fixture, block: "raw")
        let scaled = FrameChecksums.compare(frames.map(Intel5300Scaling.scaled), with: fixture, block: "scaled")
        print("\(name) vs csiread: raw maxdiff \(raw.maxRelative) (\(raw.framesCompared) frames, \(raw.samplesCompared) full), scaled maxdiff \(scaled.maxRelative)")
        #expect(raw.framesCompared == frames.count && raw.samplesCompared > 0)
        #expect(raw.maxRelative <= Self.tolerance)
        #expect(scaled.maxRelative <= Self.tolerance)

        let hostTimes = fixture.doubles("host_time")
        if !hostTimes.isEmpty {
            #expect(reader.usesHostTimes)
            let worst = zip(frames, hostTimes).map { abs($0.timestamp - $1) }.max() ?? .infinity
            print("\(name): .datstp host time max abs difference \(worst) s")
            #expect(worst < 1e-6)
        }
    }

    @Test(arguments: ["example", "log.all_csi.6.7.6"])
    func matchesMATLABGoldenDecode(name: String) throws {
        let fixture = try ReferenceFixture("matlab_intel5300_\(name)")
        guard let url = fixture.captureURL() else { return }
        let frames = try readAll(try Intel5300Reader(path: url.path))
        #expect(frames.count == fixture.count)
        #expect(frames.map(\.ntx) == fixture.ints("ntx"))
        let raw = FrameChecksums.compare(frames, with: fixture, block: "raw")
        let scaled = FrameChecksums.compare(frames.map(Intel5300Scaling.scaled), with: fixture, block: "scaled")
        print("\(name) vs MATLAB: raw maxdiff \(raw.maxRelative) (\(raw.samplesCompared) frames value by value), scaled maxdiff \(scaled.maxRelative) (\(scaled.samplesCompared) frames)")
        #expect(raw.samplesCompared == fixture.count && scaled.samplesCompared == fixture.count)
        #expect(raw.maxRelative <= Self.tolerance)
        #expect(scaled.maxRelative <= Self.tolerance)
    }

    @Test func hostTimeSideFileOptions() throws {
        guard let url = SharedData.file("captures/intel5300/sample_0x1_ap.dat") else { return }
        let withStamps = try #require(try Intel5300Reader(path: url.path).nextFrame())
        let without = try #require(try Intel5300Reader(path: url.path, hostTimePath: "").nextFrame())
        #expect(abs(withStamps.timestamp - 1_530_241_466.398192) < 1e-6)
        #expect(abs(without.timestamp - 961.579729) < 1e-9)   // timestamp_low * 1e-6
        #expect(throws: CaptureError.self) { try Intel5300Reader(path: url.path, hostTimePath: "/nonexistent.datstp") }
    }

    @Test func timestampLowWrapIsUnwrapped() throws {
        let path = try TemporaryFile.write(
            Intel5300RecordBuilder.record(timestampLow: 4_294_000_000, bfeeCount: 1)
                + Intel5300RecordBuilder.record(timestampLow: 1_000, bfeeCount: 2), name: "wrap.dat")
        let frames = try readAll(try Intel5300Reader(path: path))
        #expect(frames.count == 2)
        #expect(abs(frames[0].timestamp - 4294.0) < 1e-9)
        #expect(abs(frames[1].timestamp - (4294.967296 + 0.001)) < 1e-9)
    }

    @Test func builderRecordRoundTripsThroughDecoder() throws {
        let values = (0..<(30 * 3 * 2)).map { Int8(truncatingIfNeeded: $0 * 37 - 90) }
        let bytes = Intel5300RecordBuilder.record(timestampLow: 7, bfeeCount: 9, nrx: 3, ntx: 2, antennaSelection: 0x24,
                                                  values: values)
        let frame = try #require(try Intel5300Decoder.decodeMessage(Array(bytes[2...])))
        // antenna_sel 0x24 -> perm [0, 1, 2]; builder order: sc, chain, tx, (re, im).
        for sc in 0..<30 {
            for chain in 0..<3 {
                for tx in 0..<2 {
                    let k = ((sc * 3 + chain) * 2 + tx) * 2
                    let i = frame.index(tx: tx, rx: chain, subcarrier: sc)
                    #expect(frame.real[i] == Float(values[k % values.count]))
                    #expect(frame.imag[i] == Float(values[(k + 1) % values.count]))
                }
            }
        }
        #expect(try Intel5300Decoder.decodeMessage([0xC1, 0, 0]) == nil)
    }
}
