#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `20 log10` of CSI magnitudes eight at a time: the last step of every `amplitude-db` feature vector, which the
/// daemon makes for every sampled frame of every stream (90 logarithms a frame; one call of the C library's
/// `log10` each took about a third of the feature time).
///
/// `log2 x = e + log2 m` with `x = 2^e m`, `m` in [√½, √2) taken from the float's bits, and
/// `ln m = 2 atanh t = 2 (t + t³/3 + t⁵/5 + t⁷/7 + t⁹/9)`, `t = (m - 1)/(m + 1)`, `|t| < 0.172` (truncation below
/// 1e-9), in single precision; the exponent's part is added in double. The result is within one unit in the last
/// place of the float-rounded `20 log10` in double plus 2e-6 dB (`DecibelsTests`, magnitudes of 1e-30 to 1e30; it
/// prints the largest difference); lanes outside the normal float range take the scalar path.
enum Decibels {
    /// `out[i] = 20 log10(magnitude[i] * factor)`, or 0 where that product is not > 0 (`-inf` -> 0, as
    /// ``FeatureExtractor/extract(_:into:)`` documents), for `count` values.
    static func amplitude(_ magnitude: UnsafePointer<Double>, count: Int, factor: Double,
                          into out: UnsafeMutableBufferPointer<Float>) {
        guard factor > 0, factor.isFinite else { return scalar(magnitude, 0..<count, factor: factor, into: out) }
        let offset = 20 * log10(factor)
        var start = 0
        let smallest = SIMD8<Double>(repeating: Double(Float.leastNormalMagnitude))
        let largest = SIMD8<Double>(repeating: Double(Float.greatestFiniteMagnitude))
        while start + 8 <= count {
            let wide = UnsafeRawPointer(magnitude + start).loadUnaligned(as: SIMD8<Double>.self)
            if all((wide .>= smallest) .& (wide .<= largest)) {
                let (exponent, fraction) = Self.decibelParts(SIMD8<Float>(wide))
                let decibels = SIMD8<Double>(exponent) * Self.twentyLog10Of2 + SIMD8<Double>(fraction) + offset
                UnsafeMutableRawPointer(out.baseAddress! + start).storeBytes(of: SIMD8<Float>(decibels), as: SIMD8<Float>.self)
            } else {
                scalar(magnitude, start..<(start + 8), factor: factor, into: out)
            }
            start += 8
        }
        scalar(magnitude, start..<count, factor: factor, into: out)
    }

    /// `20 log10 2`.
    static let twentyLog10Of2 = 6.020599913279623904

    /// `20 log10 x` of positive normal floats as `e * 20 log10 2 + fraction`: the exponent `e` (exact) and the
    /// fraction's decibels (`|fraction| < 3.02`, so single precision keeps it to 3e-7 dB); the caller adds the two
    /// in double, so the error does not grow with `|e|`.
    @inline(__always)
    static func decibelParts(_ x: SIMD8<Float>) -> (exponent: SIMD8<Float>, fraction: SIMD8<Float>) {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        var exponent = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bits &>> 23) &- 127)
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: SIMD8<Float>.self)   // [1, 2)
        let high = m .> SIMD8<Float>(repeating: Float(2).squareRoot())
        m.replace(with: m * 0.5, where: high)
        exponent.replace(with: exponent + 1, where: high)
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var series = SIMD8<Float>(repeating: 1 / 9)
        series = series * t2 + 1 / 7
        series = series * t2 + 1 / 5
        series = series * t2 + 1 / 3
        series = series * t2 + 1
        let lnM = 2 * t * series
        // 20 log10 x = e 20 log10 2 + 20 ln m / ln 10
        return (exponent, lnM * Float(20 / 2.302585092994045684))
    }

    /// The scalar rule (and the reference): one `log10` per value in double.
    static func scalar(_ magnitude: UnsafePointer<Double>, _ range: Range<Int>, factor: Double,
                       into out: UnsafeMutableBufferPointer<Float>) {
        for index in range {
            let scaled = magnitude[index] * factor
            out[index] = scaled > 0 ? Float(20 * log10(scaled)) : 0
        }
    }
}
