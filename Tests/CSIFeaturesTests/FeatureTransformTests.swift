import Foundation
import Testing
import CSICapture
@testable import CSIFeatures

@Suite struct FeatureTransformTests {
    private let doppler: [String: Any] = ["rate_hz": 250, "fft": 64, "hop": 25, "bins": 32, "floor_db": -60]

    private func error(_ input: [String: Any]) -> String? {
        do { _ = try FeatureTransform(input: input); return nil } catch { return error.description }
    }

    @Test func declarationsParseAndBadOnesNameTheField() throws {
        #expect(try FeatureTransform(input: [:]) == .amplitudeDB)
        #expect(try FeatureTransform(input: ["transform": "amplitude-db", "layout": "3x30", "features": 90]) == .amplitudeDB)
        let parsed = try FeatureTransform(input: ["transform": "csi-ratio-doppler", "layout": "doppler-32", "features": 32,
                                                  "sample_rate_hz": 10.0, "doppler": doppler])
        #expect(parsed == .ratioDoppler(.standard))
        #expect(parsed.featureCount == 32 && parsed.layout == "doppler-32")
        let amplitude = try FeatureTransform(input: ["transform": "amplitude-doppler", "layout": "doppler-32",
                                                     "doppler": doppler])
        #expect(amplitude == .amplitudeDoppler(.standard) && amplitude.minimumChains == 1)
        #expect(amplitude.doppler == .standard && FeatureTransform.amplitudeDB.doppler == nil)
        let sanitized = try FeatureTransform(input: ["transform": "sanitized-doppler", "layout": "doppler-32",
                                                     "doppler": doppler])
        #expect(sanitized == .sanitizedDoppler(.standard) && sanitized.minimumChains == 1 && sanitized.featureCount == 32)
        let both = try FeatureTransform(input: ["transform": "amplitude-sanitized-doppler", "layout": "doppler-64",
                                                "features": 64, "doppler": doppler])
        #expect(both == .amplitudeSanitizedDoppler(.standard) && both.minimumChains == 1 && both.layout == "doppler-64")
        let drift = try FeatureTransform(input: ["transform": "amplitude-doppler", "layout": "doppler-35", "features": 35,
                                                 "doppler": doppler.merging(["drift_lags": [5, 10, 20]]) { $1 }])
        #expect(drift.doppler?.driftLags == [5, 10, 20] && drift.featureCount == 35)
        #expect(drift.parameters["doppler"].flatMap { ($0 as? [String: Any])?["drift_lags"] as? [Int] } == [5, 10, 20])
        let median = try FeatureTransform(input: ["transform": "amplitude-doppler", "layout": "doppler-32", "features": 32,
                                                  "doppler": doppler.merging(["median_steps": 5]) { $1 }])
        #expect(median.doppler?.medianSteps == 5)
        #expect(median.parameters["doppler"].flatMap { ($0 as? [String: Any])?["median_steps"] as? Int } == 5)

        let cases: [([String: Any], String)] = [
            (["transform": "amplitude-db", "layout": "1x64"], "input.layout"),
            (["transform": "amplitude-db", "features": 64], "input.features"),
            (["transform": "spectrogram"], "input.transform"),
            (["transform": "csi-ratio-doppler"], "input.doppler"),
            (["transform": "csi-ratio-doppler", "doppler": doppler.merging(["bins": 30]) { $1 }], "input.doppler.bins"),
            (["transform": "csi-ratio-doppler", "doppler": doppler.merging(["fft": 2]) { $1 }], "input.doppler.fft"),
            (["transform": "csi-ratio-doppler", "doppler": doppler.merging(["hop": 0]) { $1 }], "input.doppler.hop"),
            (["transform": "csi-ratio-doppler", "doppler": doppler.merging(["rate_hz": "fast"]) { $1 }], "input.doppler.rate_hz"),
            (["transform": "csi-ratio-doppler", "doppler": doppler, "sample_rate_hz": 250.0], "input.sample_rate_hz"),
            (["transform": "csi-ratio-doppler", "doppler": doppler, "layout": "3x30"], "input.layout"),
            (["transform": "amplitude-doppler", "doppler": doppler.merging(["unit_ratio": true]) { $1 }],
             "input.doppler.unit_ratio"),
            (["transform": "amplitude-doppler", "doppler": doppler, "features": 90], "input.features"),
            (["transform": "amplitude-doppler"], "input.doppler"),
            (["transform": "sanitized-doppler", "doppler": doppler.merging(["unit_ratio": true]) { $1 }],
             "input.doppler.unit_ratio"),
            (["transform": "sanitized-doppler", "doppler": doppler, "layout": "doppler-16"], "input.layout"),
            (["transform": "amplitude-sanitized-doppler", "doppler": doppler, "layout": "doppler-32"], "input.layout"),
            (["transform": "amplitude-doppler", "doppler": doppler.merging(["drift_lags": [10, 5]]) { $1 }],
             "input.doppler.drift_lags"),
            (["transform": "amplitude-doppler", "doppler": doppler.merging(["drift_lags": [0]]) { $1 }],
             "input.doppler.drift_lags"),
            (["transform": "amplitude-doppler", "doppler": doppler.merging(["drift_lags": [true]]) { $1 }],
             "input.doppler.drift_lags"),
            (["transform": "amplitude-doppler", "doppler": doppler.merging(["drift_lags": 5]) { $1 }],
             "input.doppler.drift_lags"),
            (["transform": "amplitude-doppler", "doppler": doppler.merging(["drift_lags": [5]]) { $1 }, "layout": "doppler-32"],
             "input.layout"),
            (["transform": "amplitude-sanitized-doppler", "doppler": doppler.merging(["drift_lags": [5]]) { $1 }],
             "input.doppler.drift_lags"),
            (["transform": "amplitude-doppler", "doppler": doppler.merging(["median_steps": 4]) { $1 }],
             "input.doppler.median_steps"),
            (["transform": "amplitude-doppler", "doppler": doppler.merging(["median_steps": 0]) { $1 }],
             "input.doppler.median_steps"),
            (["transform": "amplitude-doppler", "doppler": doppler.merging(["median_steps": "5"]) { $1 }],
             "input.doppler.median_steps"),
        ]
        for (input, field) in cases {
            let message = error(input)
            print("rejected: \(message ?? "nothing")")
            #expect(message?.hasPrefix(field + ":") == true, "expected an error naming \(field), got \(message ?? "none")")
        }
    }

    /// Two receive chains give one ratio pair (the second pair stays zero); one chain cannot make a ratio.
    @Test func ratioNeedsTwoChains() throws {
        let subcarriers = FeatureLayout.intelSubcarriers20MHz
        func frame(chains: Int) -> CSIFrame {
            var real: [Float] = [], imag: [Float] = []
            for a in 0..<chains {
                for (s, _) in subcarriers.enumerated() {
                    real.append(Float(a + 1) * Float(1 + s % 3))   // chain a = (a + 1) x chain 0
                    imag.append(0)
                }
            }
            return CSIFrame(timestamp: 0, device: .atheros, ntx: 1, nrx: chains, subcarriers: subcarriers,
                            real: real, imag: imag)
        }
        let extractor = FeatureExtractor()
        var out = [Float](repeating: -1, count: FeatureExtractor.ratioFeatures)
        try out.withUnsafeMutableBufferPointer { _ = try extractor.extractRatio(frame(chains: 2), into: $0) }
        var maxDiff: Float = 0
        for s in 0..<30 {
            maxDiff = max(maxDiff, abs(out[2 * s] - 2), abs(out[2 * s + 1]))           // pair 0: chain 1 / chain 0 = 2
            maxDiff = max(maxDiff, abs(out[60 + 2 * s]), abs(out[60 + 2 * s + 1]))    // pair 1: zero
        }
        print("2-chain ratio maxdiff \(maxDiff)")
        #expect(maxDiff < 1e-5)
        #expect(throws: FeatureError.tooFewChainsForRatio(device: "atheros", available: 1)) {
            try out.withUnsafeMutableBufferPointer { _ = try extractor.extractRatio(frame(chains: 1), into: $0) }
        }
        let pipeline = FeaturePipeline(config: FeaturePipelineConfig(steps: 30, sampleRateHz: 10, hopSeconds: 0.2,
                                                                     transform: .ratioDoppler(.standard)))
        #expect(pipeline.config.sampleRateHz == 10 && pipeline.config.resampler.sampleRateHz == 250)
        #expect(throws: FeatureError.self) { try pipeline.push(frame(chains: 1)) { _ in } }
    }

    /// `amplitude-doppler` from one chain: each frame divided by its own RMS (a gain step leaves no trace), missing
    /// chains zero; a 1-chain stream makes spectrum windows.
    @Test func amplitudeSeriesFromOneChain() throws {
        let subcarriers = FeatureLayout.intelSubcarriers20MHz
        func frame(gain: Float, time: Double = 0) -> CSIFrame {
            let real = subcarriers.indices.map { gain * Float(1 + $0 % 3) }
            return CSIFrame(timestamp: time, device: .esp32, ntx: 1, nrx: 1, subcarriers: subcarriers,
                            real: real, imag: real.map { -$0 })
        }
        let extractor = FeatureExtractor()
        var low = [Float](repeating: -1, count: FeatureExtractor.amplitudeSeriesFeatures), high = low
        try low.withUnsafeMutableBufferPointer { _ = try extractor.extractAmplitudeSeries(frame(gain: 1), into: $0) }
        try high.withUnsafeMutableBufferPointer { _ = try extractor.extractAmplitudeSeries(frame(gain: 10), into: $0) }
        // |H| = sqrt(2) g (1 + s % 3); mean square over s of (1 + s % 3)^2 = (1 + 4 + 9) / 3
        let rms = (14.0 / 3).squareRoot()
        var maxDiff = 0.0
        for s in 0..<30 {
            maxDiff = max(maxDiff, abs(Double(low[2 * s]) - Double(1 + s % 3) / rms), abs(Double(high[2 * s] - low[2 * s])))
            maxDiff = max(maxDiff, abs(Double(low[2 * s + 1])), abs(Double(low[60 + 2 * s])), abs(Double(low[120 + 2 * s])))
        }
        print("1-chain normalised amplitude maxdiff \(maxDiff)")
        #expect(maxDiff < 1e-6)
        let spec = DopplerSpec(rateHz: 20, fftSize: 16, hop: 2, bins: 16)
        let pipeline = FeaturePipeline(config: FeaturePipelineConfig(steps: 5, sampleRateHz: 10, hopSeconds: 0.2,
                                                                     transform: .amplitudeDoppler(spec)))
        var windows = 0
        for n in 0..<100 { try pipeline.push(frame(gain: n % 7 == 0 ? 3 : 1, time: Double(n) / 50)) { _ in windows += 1 } }
        print("1-chain amplitude-doppler windows from 2 s: \(windows)")
        #expect(windows > 0)
    }

    /// `sanitized-doppler` from one chain: a random common phase, delay slope and gain per packet leave no trace
    /// on a static channel, and a path moving at +8 Hz lands in the +8 Hz band, not its mirror (amplitudes alone
    /// cannot tell the two apart).
    @Test func sanitizedCSIRemovesThePacketLineAndKeepsTheDopplerSign() throws {
        let subcarriers = FeatureLayout.intelSubcarriers20MHz
        var random = SystemRandomNumberGenerator()
        // static channel S_k and a moving path D_k z(t) at +8 Hz; per packet exp(j (phase + slope k)) x gain
        func frame(time: Double, moving: Bool) -> CSIFrame {
            let phase = Double.random(in: -Double.pi...Double.pi, using: &random)
            let slope = Double.random(in: -0.2...0.2, using: &random)
            let gain = Double.random(in: 0.5...2, using: &random)
            var real: [Float] = [], imag: [Float] = []
            for k in subcarriers.map(Double.init) {
                var hr = (1 + 0.3 * cos(k / 5)) * cos(0.05 * k), hi = (1 + 0.3 * cos(k / 5)) * sin(0.05 * k)
                if moving {
                    let angle = 2 * Double.pi * 8 * time - 0.3 * k
                    hr += 0.1 * cos(angle)
                    hi += 0.1 * sin(angle)
                }
                let turn = phase + slope * k
                real.append(Float(gain * (hr * cos(turn) - hi * sin(turn))))
                imag.append(Float(gain * (hr * sin(turn) + hi * cos(turn))))
            }
            return CSIFrame(timestamp: time, device: .esp32, ntx: 1, nrx: 1, subcarriers: subcarriers, real: real, imag: imag)
        }
        let extractor = FeatureExtractor()
        var first = [Float](repeating: 0, count: FeatureExtractor.sanitizedFeatures), other = first
        try first.withUnsafeMutableBufferPointer { _ = try extractor.extractSanitizedCSI(frame(time: 0, moving: false), into: $0) }
        var maxDiff: Float = 0
        for n in 1..<20 {
            try other.withUnsafeMutableBufferPointer { _ = try extractor.extractSanitizedCSI(frame(time: Double(n), moving: false), into: $0) }
            for i in first.indices { maxDiff = max(maxDiff, abs(first[i] - other[i])) }
        }
        print("sanitised static channel, 20 packets of random phase, slope and gain: maxdiff \(maxDiff)")
        #expect(maxDiff < 1e-5)

        func lastSpectrum(_ transform: FeatureTransform) throws -> [Float] {
            let pipeline = FeaturePipeline(config: FeaturePipelineConfig(steps: 1, sampleRateHz: 10, hopSeconds: 0.1,
                                                                         transform: transform))
            var last: [Float] = []
            for n in 0..<250 { try pipeline.push(frame(time: Double(n) / 250, moving: true)) { last = Array($0.values) } }
            return last
        }
        // 64-point spectra at 250 Hz in 32 bands of 7.8 Hz: +8 Hz is band 17, -8 Hz band 15
        let sanitized = try lastSpectrum(.sanitizedDoppler(.standard))
        let amplitude = try lastSpectrum(.amplitudeDoppler(.standard))
        try #require(sanitized.count == 32 && amplitude.count == 32)
        print("+8 Hz path: sanitized-doppler band +8 Hz \(sanitized[17]) dB, -8 Hz \(sanitized[15]) dB; "
              + "amplitude-doppler \(amplitude[17]) / \(amplitude[15]) dB")
        #expect(sanitized[17] > -30 && sanitized[17] - sanitized[15] > 10)
        #expect(abs(amplitude[17] - amplitude[15]) < 0.5)
    }
}
