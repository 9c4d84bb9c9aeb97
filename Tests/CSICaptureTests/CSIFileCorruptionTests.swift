import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// PicoScenes and FeitCSI readers under truncation and random corruption: the frames before a fault are kept,
/// every fault is a counted issue with an offset inside the input, nothing crashes or allocates without bound.
struct CSIFileCorruptionTests {
    /// Three AX200 frames (56 tones, 2 rx) and one IWL5300 frame, as PicoScenes writes them.
    static func picoScenesFrames() -> [UInt8] {
        let ax = PicoScenesBuilder.frame(segments: [
            PicoScenesBuilder.segment("RxSBasic", version: 3, body: PicoScenesBuilder.rxBasic(version: 3, deviceType: 0x2000, timestamp: 0)),
            PicoScenesBuilder.segment("MVMExtra", version: 1, body: PicoScenesBuilder.mvmExtra(muClock: 99)),
            PicoScenesBuilder.segment("CSI", version: 4, body: PicoScenesBuilder.csi(
                version: 4, deviceType: 0x2000, tones: 56, numTx: 1, numRx: 2, buffer: PicoScenesBuilder.mvmBuffer(tones: 56, numTx: 1, numRx: 2))),
        ])
        let record = Intel5300RecordBuilder.record(timestampLow: 1, bfeeCount: 1, nrx: 2, ntx: 1)
        let iwl = PicoScenesBuilder.frame(segments: [PicoScenesBuilder.segment("CSI", version: 2, body: PicoScenesBuilder.csi(
            version: 2, deviceType: 0x5300, tones: 30, numTx: 1, numRx: 2, buffer: Array(record[23...])))])
        return ax + ax + iwl + ax
    }

    @Test func everyTruncationPointKeepsTheWholeFramesBeforeIt() throws {
        let inputs: [(String, [UInt8], (([UInt8]) -> any CaptureReader))] = [
            ("picoscenes", Self.picoScenesFrames(), { PicoScenesReader(bytes: $0) }),
            ("feitcsi", FeitCSIBuilder.record(tones: 56) + FeitCSIBuilder.record(tones: 114, widthCode: 1), { FeitCSIReader(bytes: $0) }),
        ]
        for (name, bytes, open) in inputs {
            let full = try readAll(open(bytes))
            for cut in stride(from: 0, through: bytes.count, by: 7) {
                let reader = open(Array(bytes.prefix(cut)))
                let frames = try readAll(reader)
                #expect(frames.count <= full.count, "\(name) cut \(cut)")
                #expect(zip(frames, full).allSatisfy { $0.real == $1.real && $0.subcarriers == $1.subcarriers }, "\(name) cut \(cut)")
                #expect(reader.issueCounts.values.reduce(0, +) <= 2, "\(name) cut \(cut): \(reader.issueCounts)")
            }
        }
    }

    @Test func randomCorruptionNeverCrashesAndEveryIssueHasAnOffsetInside() throws {
        var random = SplitMix(seed: 13)
        let inputs: [(String, [UInt8], (([UInt8]) -> any CaptureReader))] = [
            ("picoscenes", Self.picoScenesFrames(), { PicoScenesReader(bytes: $0, name: "fuzz") }),
            ("feitcsi", FeitCSIBuilder.record(tones: 56) + FeitCSIBuilder.record(tones: 242, modulation: 4)
                + FeitCSIBuilder.record(tones: 56), { FeitCSIReader(bytes: $0, name: "fuzz") }),
        ]
        var totals: [String: Int] = [:]
        for (name, clean, open) in inputs {
            for _ in 0..<300 {
                var bytes = clean
                for _ in 0..<(1 + Int(random.next() % 6)) {
                    let at = Int(random.next() % UInt64(bytes.count))
                    bytes[at] = UInt8(truncatingIfNeeded: random.next())
                }
                let collector = IssueCollector()
                let reader = open(bytes)
                reader.onIssue = collector.append
                let frames = try readAll(reader, limit: 100)
                totals[name, default: 0] += frames.count
                #expect(frames.count <= 4 && collector.all.allSatisfy { $0.offset < UInt64(bytes.count) })
                #expect(frames.allSatisfy { $0.real.count == $0.ntx * $0.nrx * $0.nsub })
            }
        }
        print("random corruption: frames still decoded \(totals)")
    }
}
