import CSITestSupport
import Foundation
import Testing
@testable import CSIFeatures

/// The vectorised `20 log10` of the amplitude features against the C library's `log10` in double.
struct DecibelsTests {
    /// Magnitudes spread log-uniformly over 1e-30 ... 1e30, with scale factors as Intel scaling gives them.
    @Test func matchesLog10InDoubleOverTheWholeRange() {
        var generator = SplitMix(seed: 7)
        let count = 90 * 2_000
        let magnitudes = (0..<count).map { _ in pow(10, generator.nextUnit() * 60 - 30) }
        var worst = 0.0, worstExcess = -Double.infinity
        for factor in [1.0, 0.00137, 412.5] {
            var out = [Float](repeating: .nan, count: count)
            magnitudes.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    Decibels.amplitude(m.baseAddress!, count: count, factor: factor, into: o)
                }
            }
            for index in 0..<count {
                let expected = 20 * log10(magnitudes[index] * factor)
                // against the reference rounded to float, as the features are stored. Tolerance: one unit in the last
                // place of that float (6e-5 dB at 600 dB, 4e-6 dB at 60 dB) plus 2e-6 dB (a magnitude rounded to
                // float moves its decibels by up to 5e-7 dB)
                let reference = Float(expected)
                let difference = abs(Double(out[index]) - Double(reference))
                worst = max(worst, difference)
                worstExcess = max(worstExcess, difference - Double(reference.ulp) - 2e-6)
            }
        }
        print("Decibels vs 20*log10 in double: maxdiff \(worst) dB over \(3 * count) values "
              + "(largest excess over 1 ulp + 2e-6 dB: \(worstExcess))")
        #expect(worstExcess <= 0)
    }

    /// Zeros, negatives, NaN and values outside the normal float range follow the scalar rule (-inf and NaN -> 0).
    @Test func edgeValuesTakeTheScalarRule() {
        let values: [Double] = [0, -1, .nan, 1e-45, 1e-320, 3e38 * 10, .infinity, 1, 2, 10, 100, 1e-3, 5e-39, 7, 8, 9, 0.5]
        var out = [Float](repeating: .nan, count: values.count)
        values.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in Decibels.amplitude(m.baseAddress!, count: values.count, factor: 1, into: o) }
        }
        for (index, value) in values.enumerated() {
            let expected: Float = value > 0 ? Float(20 * log10(value)) : 0
            if expected.isInfinite {
                #expect(out[index] == expected)
            } else {
                #expect(abs(out[index] - expected) <= 1e-5, "value \(value)")
            }
        }
        // a zero or non-finite factor: every value by the scalar rule
        var zero = [Float](repeating: .nan, count: 8)
        [Double](repeating: 3, count: 8).withUnsafeBufferPointer { m in
            zero.withUnsafeMutableBufferPointer { o in Decibels.amplitude(m.baseAddress!, count: 8, factor: 0, into: o) }
        }
        #expect(zero == [Float](repeating: 0, count: 8))
    }
}
