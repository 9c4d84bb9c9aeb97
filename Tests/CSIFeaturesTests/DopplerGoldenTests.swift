import Foundation
import Testing
import CSICapture
import CSITestSupport
@testable import CSIFeatures

private struct DopplerGolden: Decodable {
    var oracle: String
    var file: String
    var rate: Double
    var points: Int
    var fft: Int
    var hop: Int
    var bins: Int
    var floor_db: Double
    var unit_ratio: Bool
    var transform: String
    var drift_lags: [Int]
    var median_steps: Int
    var chains: Int
    var segments: Int
    var frame_count: Int
    var end_times: [Double]
    var frames: [Double]
}

@Suite struct DopplerGoldenTests {
    /// Every spectrum frame of a Doppler path (reader -> CSI ratio or normalised amplitudes -> resampler ->
    /// DopplerSpectrum),
    /// as the daemon and `dataset export` make it, against csiread + a NumPy FFT implementation written from the
    /// definition (scripts/make-doppler-fixture.py). Windows of one step, so every frame is compared.
    private func compare(fixture name: String, capture: URL) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        let golden = try JSONDecoder().decode(DopplerGolden.self, from: Data(contentsOf: url))
        let spec = DopplerSpec(rateHz: golden.rate, fftSize: golden.fft, hop: golden.hop, bins: golden.bins,
                               floorDB: golden.floor_db, unitRatio: golden.unit_ratio, driftLags: golden.drift_lags,
                               medianSteps: golden.median_steps)
        let transform: FeatureTransform
        switch golden.transform {
        case FeatureTransform.amplitudeDopplerName: transform = .amplitudeDoppler(spec)
        case FeatureTransform.sanitizedDopplerName: transform = .sanitizedDoppler(spec)
        case FeatureTransform.amplitudeSanitizedDopplerName: transform = .amplitudeSanitizedDoppler(spec)
        default: transform = .ratioDoppler(spec)
        }
        let config = FeaturePipelineConfig(steps: 1, sampleRateHz: spec.frameRateHz, hopSeconds: 1 / spec.frameRateHz,
                                           pointsPerStep: golden.points, transform: transform)
        let width = config.featureCount          // bins (+ drift lags), or 2 x bins for amplitude-sanitized-doppler
        #expect(golden.frames.count == golden.frame_count * width && config.hopSteps == 1)
        let pipeline = FeaturePipeline(config: config)
        let reader = try Intel5300Reader(path: capture.path, hostTimePath: "")
        var frames: [[Float]] = [], ends: [Double] = []
        let collect: (FeatureWindow) -> Void = { frames.append(Array($0.values)); ends.append($0.endTime) }
        while let frame = try reader.nextFrame() {
            try pipeline.push(frame.keepingReceiveChains(golden.chains), onWindow: collect)
        }
        pipeline.finish(onWindow: collect)
        try #require(frames.count == golden.frame_count, "\(frames.count) spectra, reference \(golden.frame_count)")
        var maxDiff = 0.0, maxTimeDiff = 0.0, worst = (frame: 0, bin: 0, swift: 0.0, reference: 0.0)
        for (n, frame) in frames.enumerated() {
            for b in 0..<width {
                let diff = abs(Double(frame[b]) - golden.frames[n * width + b])
                if diff > maxDiff { maxDiff = diff; worst = (n, b, Double(frame[b]), golden.frames[n * width + b]) }
            }
            maxTimeDiff = max(maxTimeDiff, abs(ends[n] - golden.end_times[n]))
        }
        print("  largest difference at frame \(worst.frame) band \(worst.bin): \(worst.swift) vs \(worst.reference) dB")
        print("\(golden.file) \(golden.transform)\(golden.unit_ratio ? " (unit_ratio)" : "")"
              + "\(golden.drift_lags.isEmpty ? "" : " drift lags \(golden.drift_lags)")"
              + "\(golden.median_steps > 1 ? " median \(golden.median_steps)" : ""), \(golden.chains) chain(s): \(frames.count) doppler spectra (\(golden.segments) segment(s)) vs \(golden.oracle): "
              + "maxdiff = \(maxDiff) dB, end-time maxdiff = \(maxTimeDiff) s")
        #expect(maxDiff < 2e-3)          // float32 CSI ratios vs float64; 4-decimal rounding of the fixture
        #expect(maxTimeDiff < 2e-6)
    }

    /// The project's simulated capture: a person moving, 250 packets/s (complex ratio, its phase only, the
    /// normalised amplitudes, and the phase-sanitised CSI of one chain).
    @Test(arguments: ["doppler-simulated.json", "doppler-simulated-unit.json", "doppler-simulated-amplitude.json",
                      "doppler-simulated-sanitized.json", "doppler-simulated-amplitude-drift.json",
                      "doppler-simulated-amplitude-median.json"])
    func simulatedCaptureMatchesNumPy(fixture: String) throws {
        try compare(fixture: fixture,
                    capture: SharedData.repositoryRoot().appendingPathComponent("samples/living-room-intel5300.dat"))
    }

    /// A real CSI Tool capture (3 Rx x 2 Tx, gaps that restart the grid); amplitude-doppler also from its first
    /// receive chain alone, as a 1-antenna radio delivers it; sanitized-doppler and amplitude-sanitized-doppler
    /// from that chain alone.
    @Test(arguments: ["doppler-real-intel5300.json", "doppler-real-intel5300-unit.json",
                      "doppler-real-intel5300-amplitude.json", "doppler-real-intel5300-amplitude-1ch.json",
                      "doppler-real-intel5300-sanitized.json", "doppler-real-intel5300-amplitude-sanitized.json",
                      "doppler-real-intel5300-amplitude-1ch-drift.json", "doppler-real-intel5300-amplitude-1ch-median.json"])
    func realIntel5300CaptureMatchesNumPy(fixture: String) throws {
        guard let capture = SharedData.file("captures/intel5300/sample_0x1_ap.dat") else { return }
        try compare(fixture: fixture, capture: capture)
    }

    /// Drift: a static level that steps from 1 to 1.1 moves by 0.01 of the static power (-20 dB, the fft-point means
    /// then straddle nothing) once both frames compared lie on either side of the step, and stays at the floor
    /// before the history holds the lag and while both frames lie on one side.
    @Test func driftFollowsAStepInTheStaticPart() {
        let spec = DopplerSpec(rateHz: 16, fftSize: 16, hop: 16, bins: 4, driftLags: [1, 2])
        var stage = DopplerSpectrum(spec: spec, series: 1)
        var frame = [Float](repeating: 0, count: spec.frameWidth)
        var frames: [[Float]] = []
        for n in 0..<(16 * 5) {
            let step: [Float] = [n < 32 ? 1 : 1.1, 0]          // frames 0, 1 at 1; frames 2, 3, 4 at 1.1
            let due = step.withUnsafeBufferPointer { input in frame.withUnsafeMutableBufferPointer { stage.push(input, frame: $0) } }
            if due { frames.append(frame) }
        }
        let drift = frames.map { Array($0[spec.bins...]) }
        print("drift per frame (lags 1, 2): \(drift)")
        #expect(frames.count == 5)
        let stepped = Float(10 * log10(0.01 / 1.21 + 1e-6))
        #expect(drift[0] == [-60, -60])                                   // nothing held yet
        #expect(abs(drift[1][0] - Float(10 * log10(1e-6))) < 1e-3 && drift[1][1] == -60)
        #expect(abs(drift[2][0] - stepped) < 1e-3 && abs(drift[2][1] - stepped) < 1e-3)
        #expect(abs(drift[3][0] - Float(10 * log10(1e-6))) < 1e-3 && abs(drift[3][1] - stepped) < 1e-3)
        stage.reset()
        #expect(spec.frameWidth == 6 && FeatureTransform.amplitudeDoppler(spec).layout == "doppler-6")
    }

    /// The running median: lone off-steps (9 packets of 64 dropping to 0.2, as real Raspberry Pi packets do) spread
    /// over every band without it and vanish with 3 steps; a slow tone (2 Hz, 32 steps a period) passes almost as is.
    @Test func medianRemovesLoneOffStepsAndKeepsSlowMotion() {
        func bands(median: Int, _ value: (Int) -> Float) -> [Float] {
            let spec = DopplerSpec(rateHz: 64, fftSize: 64, hop: 64, bins: 32, medianSteps: median)
            var stage = DopplerSpectrum(spec: spec, series: 1)
            var frame = [Float](repeating: 0, count: spec.frameWidth)
            for n in 0..<64 {
                let step: [Float] = [value(n), 0]
                _ = step.withUnsafeBufferPointer { input in frame.withUnsafeMutableBufferPointer { stage.push(input, frame: $0) } }
            }
            return frame
        }
        let offSteps: Set<Int> = [3, 11, 17, 26, 34, 39, 48, 57, 61]      // none adjacent, no period
        let spikes: (Int) -> Float = { offSteps.contains($0) ? 0.2 : 1 }
        let raw = bands(median: 1, spikes), filtered = bands(median: 3, spikes)
        print("lone off-steps: highest band \(raw.max()!) dB without the median, \(filtered.max()!) dB with 3 steps")
        #expect(raw.sorted()[raw.count / 2] > -40)   // over most bands
        #expect(filtered.allSatisfy { $0 == -60 })   // a constant series: the floor
        let tone: (Int) -> Float = { 1 + 0.1 * Float(sin(2 * Double.pi * 2 * Double($0) / 64)) }
        let toneRaw = bands(median: 1, tone), toneFiltered = bands(median: 3, tone)
        let loss = toneRaw.max()! - toneFiltered.max()!
        print("2 Hz tone: peak band \(toneRaw.max()!) dB, with the median \(toneFiltered.max()!) dB (loss \(loss) dB)")
        #expect(toneRaw.firstIndex(of: toneRaw.max()!) == toneFiltered.firstIndex(of: toneFiltered.max()!))
        #expect(loss >= 0 && loss < 0.5)
    }

    /// A tone in the ratio lands in its band, on the FFT path (64 points) and the direct DFT (48 points).
    @Test(arguments: [64, 48]) func spectrumOfKnownSignals(size: Int) {
        let spec = DopplerSpec(rateHz: Double(size), fftSize: size, hop: size, bins: size / 2)
        var stage = DopplerSpectrum(spec: spec, series: 1)
        var frame = [Float](repeating: 0, count: spec.bins)
        var due = false
        for n in 0..<size {
            // static part 1 + a tone of amplitude 0.1 at +8 Hz (bin +8 -> band (8 + size / 2) / 2)
            let angle = 2 * Double.pi * 8 * Double(n) / Double(size)
            let step: [Float] = [Float(1 + 0.1 * cos(angle)), Float(0.1 * sin(angle))]
            due = step.withUnsafeBufferPointer { input in frame.withUnsafeMutableBufferPointer { stage.push(input, frame: $0) } }
        }
        #expect(due)
        let peak = frame.indices.max { frame[$0] < frame[$1] }!
        let mirror = (size / 2 - 8) / 2
        print("\(size)-point tone +8 Hz: peak band \(peak) at \(frame[peak]) dB, band \(mirror) (-8 Hz) \(frame[mirror]) dB")
        #expect(peak == (8 + size / 2) / 2)
        #expect(abs(frame[peak] - (-20.79)) < 0.05)   // 0.1 amplitude: -20 dB, Hann leakage into the neighbour bin
        #expect(frame[mirror] < -50)    // the negative frequency is empty: the ratio's rotation sense is kept
    }
}
