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

    /// The pipeline featurises only the frames its resampler samples; its windows must equal featurising every
    /// frame and resampling eagerly, on irregular timestamps with jitter, bursts, duplicates and lost packets.
    @Test func lazyFeaturisationEqualsEagerResampling() throws {
        let config = FeaturePipelineConfig.utHAR
        let pipeline = FeaturePipeline(config: config)
        let extractor = FeatureExtractor()
        var eager = Resampler(config: config.resampler, features: FeatureLayout.features)
        var eagerWindow = SlidingWindow(steps: config.steps, features: FeatureLayout.features, hopSteps: config.hopSteps)
        var lazyValues: [Float] = [], eagerValues: [Float] = []
        var random = UInt64(12345)
        func next() -> Double { random = random &* 6364136223846793005 &+ 1442695040888963407; return Double(random >> 11) / Double(1 << 53) }
        var time = 50.0
        var features = [Float](repeating: 0, count: FeatureLayout.features)
        var windowBuffer = [Float](repeating: 0, count: config.steps * FeatureLayout.features)
        for i in 0..<4000 {
            let draw = next()
            time += draw < 0.05 ? 0 : (draw < 0.1 ? 0.004 : 0.0005 + next() * 0.001)     // duplicates, losses, jitter
            var frame = syntheticFrame(device: .simulated, subcarriers: FeatureLayout.intelSubcarriers20MHz,
                                       bandwidth: 20, rows: 3) { r, k in Float(5 + r + abs(k)) * Float(1 + 0.5 * sin(Double(i) * 0.01 + Double(k))) }
            frame.timestamp = time
            try pipeline.push(frame) { lazyValues += Array($0.values) }
            try features.withUnsafeMutableBufferPointer { _ = try extractor.extract(frame, into: $0) }
            _ = features.withUnsafeBufferPointer { input in
                eager.push(timestamp: time, features: input) { _, step in
                    if eagerWindow.push(step) {
                        windowBuffer.withUnsafeMutableBufferPointer { eagerWindow.copyWindow(into: $0) }
                        eagerValues += windowBuffer
                    }
                }
            }
        }
        #expect(!lazyValues.isEmpty && lazyValues.count == eagerValues.count)
        let maxdiff = zip(lazyValues, eagerValues).map { abs($0 - $1) }.max() ?? .infinity
        print("lazy vs eager featurisation: \(lazyValues.count / (config.steps * FeatureLayout.features)) windows, "
              + "\(pipeline.featurisedFrames) of 4000 frames featurised, maxdiff \(maxdiff)")
        #expect(maxdiff == 0)
        #expect(pipeline.featurisedFrames < 4000)
        #expect(pipeline.resampler.duplicates == eager.duplicates && pipeline.resampler.duplicates > 0)
    }

    /// Windows without values (the daemon's streaming engine keeps the steps itself from `onStep`) fall due at the
    /// same steps, with the same times and motion energy, and the steps handed to `onStep` are the same.
    @Test func windowsWithoutValuesFallDueAtTheSameSteps() throws {
        var lean = FeaturePipelineConfig.utHAR
        lean.windowValues = false
        let full = FeaturePipeline(config: .utHAR), bare = FeaturePipeline(config: lean)
        var fullSteps: [Float] = [], bareSteps: [Float] = []
        full.onStep = { fullSteps += $0 }
        bare.onStep = { bareSteps += $0 }
        var fullWindows: [[Double]] = [], bareWindows: [[Double]] = []
        var time = 10.0
        for i in 0..<5000 {
            time += i % 2000 == 1999 ? 0.7 : 0.001                // gaps longer than the hold: the windows restart
            var frame = syntheticFrame(device: .simulated, subcarriers: FeatureLayout.intelSubcarriers20MHz,
                                       bandwidth: 20, rows: 3) { r, k in Float(5 + r + abs(k)) * Float(1 + 0.3 * sin(Double(i) * 0.02)) }
            frame.timestamp = time
            try full.push(frame) { fullWindows.append([$0.startTime, $0.endTime, $0.motionEnergy]) }
            try bare.push(frame) { window in
                #expect(window.values.isEmpty)
                bareWindows.append([window.startTime, window.endTime, window.motionEnergy])
            }
        }
        print("windows with values \(fullWindows.count), without \(bareWindows.count); steps \(fullSteps.count / 90)")
        #expect(fullWindows.count > 10 && fullWindows == bareWindows)
        #expect(fullSteps == bareSteps)
    }

    @Test func unusableStreamThrowsOnce() {
        let pipeline = FeaturePipeline(config: .utHAR)
        let frame = syntheticFrame(device: .nexmon(chip: 101), subcarriers: Array(-32...31), bandwidth: 20, rows: 1) { _, _ in 1 }
        #expect(throws: FeatureError.self) { try pipeline.push(frame) { _ in } }
    }
}
