import Testing
import CSICapture
@testable import CSIFeatures

@Suite struct SlidingWindowTests {
    @Test func windowsAreContiguousAndHopCorrectly() {
        // steps carry their index in every feature; window of 5, hop 2
        var window = SlidingWindow(steps: 5, features: 3, hopSteps: 2)
        var emitted: [[Float]] = []
        var out = [Float](repeating: -1, count: 15)
        for i in 0..<12 {
            let due = [Float](repeating: Float(i), count: 3).withUnsafeBufferPointer { window.push($0) }
            if due {
                out.withUnsafeMutableBufferPointer { window.copyWindow(into: $0) }
                emitted.append(stride(from: 0, to: 15, by: 3).map { out[$0] })
                #expect(out == stride(from: 0, to: 15, by: 3).flatMap { [out[$0], out[$0], out[$0]] })
            }
        }
        // first window when full (steps 0..4), then every 2 steps
        #expect(emitted == [[0, 1, 2, 3, 4], [2, 3, 4, 5, 6], [4, 5, 6, 7, 8], [6, 7, 8, 9, 10]])
        window.reset()
        #expect(window.count == 0)
    }

    @Test func hopInSecondsRoundsToSteps() {
        let window = SlidingWindow(steps: 250, features: 90, hopSeconds: 0.2, sampleRateHz: 250)
        #expect(window.hopSteps == 50)
        let slow = SlidingWindow(steps: 10, features: 1, hopSeconds: 0.01, sampleRateHz: 25)
        #expect(slow.hopSteps == 1)
    }

    @Test func normalizerMinMaxAndStandard() throws {
        var values: [Float] = [-11.8, 27.5, 7.85, 0]
        let minmax = try Normalizer(.minmax(min: -11.8, max: 27.5), features: 2)
        values.withUnsafeMutableBufferPointer { minmax.apply($0) }
        #expect(abs(values[0]) < 1e-6 && abs(values[1] - 1) < 1e-6 && abs(values[2] - 0.5) < 1e-6)
        var standardValues: [Float] = [1, 10, 3, 14]
        let standard = try Normalizer(.standard(mean: [2, 12], std: [1, 2]), features: 2)
        standardValues.withUnsafeMutableBufferPointer { standard.apply($0) }
        #expect(standardValues == [-1, -1, 1, 1])
        #expect(throws: NormalizationError.self) { try Normalizer(.standard(mean: [0], std: [1, 1]), features: 2) }
        do {
            _ = try Normalizer(.standard(mean: [0, 0], std: [1, 0]), features: 2)
            Issue.record("zero std accepted")
        } catch { #expect(error.field == "input.normalization.std") }
    }

    @Test func windowCenteredRemovesEachWindowsMeanThenScales() throws {
        let normalizer = try Normalizer(.windowCentered(std: [2, 4]), features: 2)
        #expect(!normalizer.normalizesSteps)
        #expect(try Normalizer(.standard(mean: [0, 0], std: [1, 1]), features: 2).normalizesSteps)
        // two windows of 3 steps x 2 features
        var values: [Float] = [1, 10, 2, 20, 3, 30, 5, 0, 5, 0, 8, 3]
        values.withUnsafeMutableBufferPointer { normalizer.apply(windows: $0, steps: 3) }
        let expected: [Float] = [-0.5, -2.5, 0, 0, 0.5, 2.5, -0.5, -0.25, -0.5, -0.25, 1, 0.5]
        let maxdiff = zip(values, expected).map { abs($0 - $1) }.max() ?? 0
        print("window-centered vs hand computation: maxdiff \(maxdiff)")
        #expect(maxdiff < 1e-6)
        // a room's static level (a constant per feature) does not change the result
        var shifted: [Float] = [1 + 17, 10 - 9, 2 + 17, 20 - 9, 3 + 17, 30 - 9]
        shifted.withUnsafeMutableBufferPointer { normalizer.apply($0) }
        let levelDiff = zip(shifted, expected.prefix(6)).map { abs($0 - $1) }.max() ?? 0
        print("window-centered with a level offset: maxdiff \(levelDiff)")
        #expect(levelDiff < 1e-5)
        do {
            _ = try Normalizer(.windowCentered(std: [1]), features: 2)
            Issue.record("wrong std count accepted")
        } catch { #expect(error.field == "input.normalization.std") }
        do {
            _ = try Normalizer(.windowCentered(std: [1, -1]), features: 2)
            Issue.record("negative std accepted")
        } catch { #expect(error.field == "input.normalization.std") }
    }

    @Test func motionEnergyIsVarianceOverRecentSteps() {
        var motion = MotionEnergy(steps: 4, features: 2)
        for v: Float in [1, 1, 1, 1] { [v, v].withUnsafeBufferPointer { motion.push($0) } }
        #expect(motion.value == 0)
        for v: Float in [0, 2, 0, 2] { [v, 5].withUnsafeBufferPointer { motion.push($0) } }
        // feature 0: variance of 0,2,0,2 = 1; feature 1: constant 5 -> 0; mean = 0.5
        #expect(abs(motion.value - 0.5) < 1e-9)
        for _ in 0..<200 { [Float(3), Float(3)].withUnsafeBufferPointer { motion.push($0) } }
        #expect(abs(motion.value) < 1e-9)
    }

    @Test func antennaGrouperJoinsCoresBySequence() {
        func core(_ c: UInt8, seq: Int, value: Float) -> CSIFrame {
            CSIFrame(timestamp: Double(seq) * 0.01, device: .nexmon(chip: 106),
                     source: CSISourceID(transmitter: [1, 2, 3, 4, 5, 6], core: c, spatialStream: 0), sequence: seq,
                     rssi: [-50 - Int(c)], bandwidthMHz: 20, ntx: 1, nrx: 1, subcarriers: [1, 2],
                     real: [value, value], imag: [0, 0])
        }
        let grouper = AntennaGrouper()
        #expect(grouper.push(core(0, seq: 1, value: 10)) == nil)
        #expect(grouper.push(core(2, seq: 1, value: 12)) == nil)
        #expect(grouper.push(core(3, seq: 1, value: 13)) == nil)          // core 3 is not used
        let joined = grouper.push(core(1, seq: 1, value: 11))
        #expect(joined?.nrx == 3 && joined?.real == [10, 10, 11, 11, 12, 12] && joined?.rssi == [-50, -51, -52])
        // measurement 2 loses core 1; measurement 3 completes and drops it
        _ = grouper.push(core(0, seq: 2, value: 1))
        _ = grouper.push(core(2, seq: 2, value: 1))
        _ = grouper.push(core(0, seq: 3, value: 3))
        _ = grouper.push(core(1, seq: 3, value: 3))
        #expect(grouper.push(core(2, seq: 3, value: 3))?.sequence == 3)
        #expect(grouper.incomplete == 1 && grouper.ignored == 1)
    }
}

@Suite struct MeasurementAssemblerTests {
    private func core(_ c: UInt8, seq: Int) -> CSIFrame {
        CSIFrame(timestamp: Double(seq) * 0.01, device: .nexmon(chip: 106),
                 source: CSISourceID(transmitter: [1, 2, 3, 4, 5, 6], core: c, spatialStream: 0), sequence: seq,
                 rssi: [-50], bandwidthMHz: 20, ntx: 1, nrx: 1, subcarriers: [1, 2], real: [1, 1], imag: [0, 0])
    }

    @Test func multiCoreStreamsAreJoinedFromTheFirstMeasurement() {
        let assembler = MeasurementAssembler()
        var out: [CSIFrame] = []
        for seq in 0..<4 { for c: UInt8 in [0, 1, 2] { assembler.push(core(c, seq: seq)) { out.append($0) } } }
        #expect(assembler.mode == .multiCore)
        #expect(out.count == 4 && out.allSatisfy { $0.nrx == 3 } && out.map(\.sequence) == [0, 1, 2, 3])
    }

    @Test func singleCoreStreamsPassThroughWithoutLoss() {
        let assembler = MeasurementAssembler()
        var out: [CSIFrame] = []
        for seq in 0..<5 { assembler.push(core(0, seq: seq)) { out.append($0) } }
        #expect(assembler.mode == .single)
        #expect(out.map(\.sequence) == [0, 1, 2, 3, 4] && out.allSatisfy { $0.nrx == 1 })
        // frames without a core are not held at all
        var direct: [CSIFrame] = []
        var intel = core(0, seq: 9)
        intel.source.core = nil
        MeasurementAssembler().push(intel) { direct.append($0) }
        #expect(direct.count == 1)
    }
}

@Suite struct NormalizationJSONTests {
    @Test func parsesModelConfigNormalization() throws {
        #expect(try Normalization(json: ["kind": "minmax", "min": -11.8, "max": 27.5]) == .minmax(min: -11.8, max: 27.5))
        #expect(try Normalization(json: ["kind": "standard", "mean": [1, 2.5], "std": [1, 2]])
                == .standard(mean: [1, 2.5], std: [1, 2]))
        do {
            _ = try Normalization(json: ["kind": "standard", "mean": [1, "x"], "std": [1, 2]])
            Issue.record("accepted a string")
        } catch { #expect(error.field == "input.normalization.mean[1]") }
        #expect(try Normalization(json: ["kind": "window-centered", "std": [1, 2.5]]) == .windowCentered(std: [1, 2.5]))
        do {
            _ = try Normalization(json: ["kind": "window-centered", "mean": [1, 2]])
            Issue.record("accepted a window-centered spec without std")
        } catch { #expect(error.field == "input.normalization.std") }
        do {
            _ = try Normalization(json: ["kind": "zscore"])
            Issue.record("accepted an unknown kind")
        } catch { #expect(error.field == "input.normalization.kind") }
    }
}
