import Foundation
import Testing
import CSICapture
@testable import CSIFeatures

@Suite struct FeaturePipelineTests {
    @Test func oneKilohertzCaptureGivesUTHARWindows() throws {
        // 3 s of 1 kHz Intel-grid frames: 250-step windows at 250 Hz every 50 steps (0.2 s)
        let pipeline = FeaturePipeline(config: .utHAR)
        var windows: [(Double, Double)] = []
        var firstValues: [Float] = []
        for i in 0..<3000 {
            let frame = syntheticFrame(device: .simulated, subcarriers: FeatureLayout.intelSubcarriers20MHz,
                                       bandwidth: 20, rows: 3) { r, k in Float(10 + r + abs(k)) * (1 + Float(i % 10) / 100) }
            var timed = frame
            timed.timestamp = 100 + Double(i) * 0.001
            try pipeline.push(timed) { window in
                #expect(window.values.count == 250 * 90)
                if windows.isEmpty { firstValues = Array(window.values[0..<90]) }
                windows.append((window.startTime, window.endTime))
            }
        }
        // step 749 (2.996 s, 2.998 s) completes before the last frame at 2.999 s: windows at 250, 300, ..., 750 steps
        #expect(windows.count == 11)
        #expect(abs(windows[0].0 - 100) < 1e-9 && abs(windows[0].1 - 101) < 1e-9)
        #expect(abs(windows[1].1 - windows[0].1 - 0.2) < 1e-9)
        // step 0 = mean of frames 0 and 2 (unscaled simulated frames: 20 log10 |H|)
        let a: Float = 20 * log10(38)
        let b: Float = 20 * log10(38 * 1.02)
        let expected = (a + b) / 2
        #expect(abs(firstValues[0] - expected) < 1e-4)
        #expect(pipeline.lastFlags.contains(.unscaled))
    }

    @Test func unusableStreamThrowsOnce() {
        let pipeline = FeaturePipeline(config: .utHAR)
        let frame = syntheticFrame(device: .nexmon(chip: 101), subcarriers: Array(-32...31), bandwidth: 20, rows: 1) { _, _ in 1 }
        #expect(throws: FeatureError.self) { try pipeline.push(frame) { _ in } }
    }
}
