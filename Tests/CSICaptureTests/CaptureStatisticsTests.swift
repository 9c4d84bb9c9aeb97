import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// `csihar inspect`'s statistics on synthetic streams with known gaps, and format detection on the shared files.
struct CaptureStatisticsTests {
    static func frame(_ t: Double, sequence: Int, core: UInt8 = 0) -> CSIFrame {
        CSIFrame(timestamp: t, device: .nexmon(chip: 101), source: CSISourceID(transmitter: [1, 2, 3, 4, 5, 6], core: core),
                 sequence: sequence, ntx: 1, nrx: 1, subcarriers: [0], real: [1], imag: [0])
    }

    @Test func gapsRateAndSequenceHoles() {
        var statistics = CaptureStatistics()
        var t = 100.0
        var sequence = 4090
        for k in 0..<200 {
            // two cores per measurement, 10 ms apart; one 250 ms pause at k = 100; sequence skips 3 at k = 150
            if k == 100 { t += 0.25 }
            if k == 150 { sequence += 3 }
            statistics.add(Self.frame(t, sequence: sequence % 4096, core: 0))
            statistics.add(Self.frame(t + 0.0001, sequence: sequence % 4096, core: 1))
            t += 0.01
            sequence += 1
        }
        let median = statistics.medianInterval ?? 0
        print("statistics: frames \(statistics.frames), median \(median), gaps \(statistics.gapCount()), missing \(statistics.missingSequenceNumbers)")
        #expect(statistics.frames == 400)
        #expect(abs(median - 0.01) / 0.01 < 0.05)
        #expect(statistics.gapCount() == 2)                       // the pause, seen by both cores
        #expect(abs(statistics.largestInterval - 0.26) < 1e-9)
        #expect(statistics.missingSequenceNumbers == 6)           // 3 per core; the 4095 -> 0 wrap is not a gap
        #expect(statistics.sources.count == 2 && statistics.backwardSteps == 0)
        #expect(abs(statistics.duration - (199 * 0.01 + 0.25 + 0.0001)) < 1e-9)
    }

    @Test func detectsEveryFormatOfTheSharedCaptures() throws {
        let expected: [(String, CaptureFormat)] = [
            ("captures/intel5300/sample_0x1_ap.dat", .intel5300), ("captures/intel5300/empty.dat", .intel5300),
            ("captures/intel5300/malformed_zero_frames.dat", .intel5300), ("captures/nexmon/example_4339.pcap", .nexmon),
            ("captures/esp32/example_data.csv", .esp32), ("captures/esp32/example_csi_noheader.csv", .esp32),
            ("captures/atheros/ath_csi_1.dat", .atheros),
        ]
        for (path, format) in expected {
            guard let url = SharedData.file(path) else { return }
            #expect(try CaptureFile.detectFormat(path: url.path) == format, "\(path)")
            let reader = try CaptureFile.open(path: url.path, options: CaptureOptions(nexmonChip: nil))
            #expect(try reader.nextFrame() != nil || path.contains("empty"), "\(path)")
        }
        // .csi files: PicoScenes and FeitCSI told apart by content.
        for (path, format) in [("captures/picoscenes/rx_by_iwl5300.csi", CaptureFormat.picoscenes),
                               ("captures/picoscenes/picoscenes_ax200_example.csi", .picoscenes),
                               ("captures/feitcsi/HT20_2452.csi", .feitcsi), ("captures/feitcsi/HESU160_5500.csi", .feitcsi)] {
            guard let url = SharedData.file(path) else { return }
            #expect(try CaptureFile.detectFormat(path: url.path) == format, "\(path)")
            #expect(try CaptureFile.open(path: url.path).nextFrame() != nil, "\(path)")
        }
    }
}
