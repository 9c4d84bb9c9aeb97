import CSITestSupport
import Testing
@testable import CSIFeatures

/// Feeds (timestamp, scalar) pairs through a 1-feature resampler and returns the emitted (time, value) steps.
private func resample(_ samples: [(Double, Float)], rate: Double, points: Int, maxHold: Double = 0.5,
                      finish: Bool = false) -> (steps: [(Double, Float)], outcomes: [ResampleOutcome], resampler: Resampler) {
    var resampler = Resampler(config: ResamplerConfig(sampleRateHz: rate, pointsPerStep: points, maxHoldSeconds: maxHold),
                              features: 1)
    var steps: [(Double, Float)] = []
    var outcomes: [ResampleOutcome] = []
    for (t, v) in samples {
        let outcome = [v].withUnsafeBufferPointer { input in
            resampler.push(timestamp: t, features: input) { time, step in steps.append((time, step[0])) }
        }
        outcomes.append(outcome)
    }
    if finish { resampler.finish { time, step in steps.append((time, step[0])) } }
    return (steps, outcomes, resampler)
}

/// Reference: value held at instant tau (last sample with t <= tau), as MATLAB interp1 'previous'.
private func held(_ samples: [(Double, Float)], at tau: Double) -> Float {
    samples.last { $0.0 <= tau + 1e-12 }!.1
}

@Suite struct ResamplerTests {
    @Test func utHARStepIsMeanOfZOHAtTAndHalfStep() {
        // 1 kHz capture, values = sample index; 250 Hz, 2 points: step n = mean(x[4n], x[4n+2])
        let samples = (0..<1001).map { (Double($0) * 0.001, Float($0)) }
        let result = resample(samples, rate: 250, points: 2)
        #expect(result.steps.count == 250)
        var maxDiff: Float = 0
        for (n, step) in result.steps.enumerated() {
            maxDiff = max(maxDiff, abs(step.1 - Float(4 * n + 1)))
            #expect(abs(step.0 - Double(n) * 0.004) < 1e-9)
        }
        print("resampler UT-HAR regular grid: maxdiff = \(maxDiff)")
        #expect(maxDiff == 0)
    }

    @Test func irregularTimestampsAndLostPacketsFollowZeroOrderHold() {
        // jittered ~100 Hz with every 7th packet lost; compare each step with the ZOH reference
        var samples: [(Double, Float)] = []
        var t = 10.0
        var rng = SplitMix(seed: 7)
        for i in 0..<400 {
            t += 0.01 + (rng.nextUnit() - 0.5) * 0.008
            if i % 7 == 3 { continue }
            samples.append((t, Float(i % 13) * 1.5))
        }
        let rate = 50.0, points = 2
        let result = resample(samples, rate: rate, points: points)
        #expect(result.outcomes.first == .started)
        #expect(result.outcomes.dropFirst().allSatisfy { $0 == .accepted })
        var maxDiff: Float = 0
        for (n, step) in result.steps.enumerated() {
            let t0 = samples[0].0 + Double(n) / rate
            let expected = (held(samples, at: t0) + held(samples, at: t0 + 0.5 / rate)) / 2
            maxDiff = max(maxDiff, abs(step.1 - expected))
        }
        print("resampler irregular+lost: \(result.steps.count) steps, maxdiff = \(maxDiff)")
        #expect(maxDiff < 1e-6)
        let span = samples.last!.0 - samples[0].0
        #expect(abs(Double(result.steps.count) - span * rate) <= 1)
    }

    @Test func duplicatesAndOutOfOrderAreDroppedAndCounted() {
        let samples: [(Double, Float)] = [(0.0, 1), (0.01, 2), (0.01, 99), (0.005, 98), (0.02, 3), (0.03, 4)]
        let result = resample(samples, rate: 100, points: 1)
        #expect(result.outcomes == [.started, .accepted, .duplicate, .outOfOrder, .accepted, .accepted])
        #expect(result.resampler.duplicates == 1 && result.resampler.outOfOrder == 1)
        #expect(result.steps.map(\.1) == [1, 2, 3])
    }

    @Test func longGapResetsInsteadOfHoldingStaleData() {
        var samples = (0..<50).map { (Double($0) * 0.01, Float(1)) }
        samples += (0..<50).map { (5.0 + Double($0) * 0.01, Float(2)) }
        let result = resample(samples, rate: 100, points: 1, maxHold: 0.5)
        #expect(result.resampler.gapResets == 1)
        guard case let .gapReset(gap) = result.outcomes[50] else { Issue.record("no gap reset"); return }
        #expect(abs(gap - 4.51) < 1e-9)
        // no step of the old value after the gap, no step inside the gap
        #expect(result.steps.count == 49 + 49)
        #expect(!result.steps.contains { $0.0 > 0.5 && $0.0 < 5.0 })
        #expect(result.steps.filter { $0.0 >= 5.0 }.allSatisfy { $0.1 == 2 })
    }

    @Test func finishFlushesStepsUpToTheLastFrame() {
        let samples = (0..<11).map { (Double($0) * 0.1, Float($0)) }
        let result = resample(samples, rate: 10, points: 1, finish: true)
        #expect(result.steps.map(\.1) == (0..<11).map(Float.init))
    }
}
