import Foundation
import Testing
import CSICapture
import CSITestSupport
@testable import CSIFeatures

private struct WindowGolden: Decodable {
    var oracle: String
    var file: String
    var rate: Double
    var points: Int
    var steps: Int
    var hop: Int
    var frames: Int
    var window_count: Int
    var window_means: [Double]
    var first: [Double]
    var last: [Double]
}

@Suite struct WindowGoldenTests {
    /// The whole serving/export path (Intel5300Reader -> FeatureExtractor -> Resampler -> SlidingWindow) on a long
    /// Intel 5300 recording with jitter and lost packets (the project's simulated `samples/living-room-intel5300.dat`)
    /// against csiread + an independent NumPy zero-order-hold implementation (scripts/make-window-fixture.py).
    @Test func intel5300WindowsMatchIndependentReference() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/intel5300-windows.json")
        let golden = try JSONDecoder().decode(WindowGolden.self, from: Data(contentsOf: fixture))
        let file = SharedData.repositoryRoot().appendingPathComponent(golden.file)
        let config = FeaturePipelineConfig(steps: golden.steps, sampleRateHz: golden.rate,
                                           hopSeconds: Double(golden.hop) / golden.rate, pointsPerStep: golden.points)
        #expect(config.hopSteps == golden.hop)
        let pipeline = FeaturePipeline(config: config)
        let reader = try Intel5300Reader(path: file.path, hostTimePath: "")
        var windows: [[Float]] = []
        var frames = 0
        let collect: (FeatureWindow) -> Void = { windows.append(Array($0.values)) }
        while let frame = try reader.nextFrame() {
            frames += 1
            try pipeline.push(frame, onWindow: collect)
        }
        pipeline.finish(onWindow: collect)
        #expect(frames == golden.frames)
        try #require(windows.count == golden.window_count)
        var maxDiff = 0.0
        for (window, expected) in [(windows[0], golden.first), (windows[windows.count - 1], golden.last)] {
            for i in 0..<expected.count { maxDiff = max(maxDiff, abs(Double(window[i]) - expected[i])) }
        }
        var maxMeanDiff = 0.0
        for (window, mean) in zip(windows, golden.window_means) {
            let m = window.reduce(0.0) { $0 + Double($1) } / Double(window.count)
            maxMeanDiff = max(maxMeanDiff, abs(m - mean))
        }
        print("\(golden.file): \(windows.count) windows vs \(golden.oracle): first/last maxdiff = \(maxDiff) dB, "
              + "window-mean maxdiff = \(maxMeanDiff) dB")
        #expect(maxDiff < 1e-4)
        #expect(maxMeanDiff < 1e-4)
    }
}
