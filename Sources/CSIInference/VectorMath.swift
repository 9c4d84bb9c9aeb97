/// Element-wise activation kernels on float buffers, vectorised with `SIMD8<Float>`.
///
/// `exp` is the Cephes single-precision algorithm (range reduction by ln 2, degree-6 polynomial, about 2 ulp);
/// sigmoid and tanh are built on it. The same code runs for the vector body and the scalar tail, so a value's
/// result never depends on its position in the buffer.
enum VectorMath {
    private static let expHigh: Float = 88.0
    private static let expLow: Float = -87.0
    private static let log2e: Float = 1.442_695_04
    private static let ln2High: Float = 0.693_359_375
    private static let ln2Low: Float = -2.121_944_4e-4
    /// 1.5 * 2^23: adding it rounds a float to an integer held in the low mantissa bits.
    private static let shifter: Float = 12_582_912
    private static let shifterBits: Int32 = 0x4B40_0000

    /// e^x for eight lanes (inputs clamped to [-87, 88], where e^x is a normal float).
    @inline(__always)
    static func exp(_ input: SIMD8<Float>) -> SIMD8<Float> {
        var x = input.replacing(with: expHigh, where: input .> expHigh)
        x = x.replacing(with: expLow, where: x .< expLow)
        let shifted = SIMD8<Float>(repeating: shifter).addingProduct(x, log2e)   // n in the low mantissa bits
        let n = shifted - shifter                                       // round(x / ln 2); x = n ln2 + r
        var r = x.addingProduct(n, -ln2High)
        r = r.addingProduct(n, -ln2Low)
        var p = SIMD8<Float>(repeating: 1.398_199_95e-3).addingProduct(r, 1.987_569_15e-4)
        p = SIMD8<Float>(repeating: 8.333_451_9e-3).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 4.166_579_6e-2).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1.666_666_55e-1).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 5.000_000_1e-1).addingProduct(p, r)
        let y = (r + 1).addingProduct(p, r * r)                         // e^r
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- shifterBits
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)   // 2^n
        return y * scale
    }

    /// 1 / (1 + e^-x) for eight lanes.
    @inline(__always)
    static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    /// tanh x = 1 - 2 / (e^2x + 1) for eight lanes.
    @inline(__always)
    static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 - 2 / (exp(x + x) + 1)
    }

    /// Loads up to eight values (zeros past `count`).
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, count: Int) -> SIMD8<Float> {
        if count >= 8 { return UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self) }
        var lanes = SIMD8<Float>()
        for lane in 0..<count { lanes[lane] = pointer[lane] }
        return lanes
    }

    /// Stores the first `count` (up to eight) lanes.
    @inline(__always)
    static func store(_ lanes: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 8 {
            UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: SIMD8<Float>.self)
            return
        }
        for lane in 0..<count { pointer[lane] = lanes[lane] }
    }

    /// Applies `transform` to `count` values in place, eight at a time.
    @inline(__always)
    static func apply(_ values: UnsafeMutablePointer<Float>, count: Int,
                      _ transform: (SIMD8<Float>) -> SIMD8<Float>) {
        var index = 0
        while index < count {
            let lanes = min(8, count - index)
            store(transform(load(values + index, count: lanes)), values + index, count: lanes)
            index += 8
        }
    }

    /// Sigmoid of `count` values in place.
    static func sigmoidInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        apply(values, count: count, sigmoid)
    }

    /// tanh of `count` values in place.
    static func tanhInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        apply(values, count: count, tanh)
    }

    /// max(0, x) of `count` values in place.
    static func reluInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        apply(values, count: count) { $0.replacing(with: 0, where: $0 .< 0) }
    }

    /// Softmax of one row of `count` values in place (max-subtracted, so it never overflows).
    static func softmaxInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var largest = values[0]
        for index in 1..<count { largest = max(largest, values[index]) }
        apply(values, count: count) { exp($0 - largest) }
        var sum: Float = 0
        for index in 0..<count { sum += values[index] }
        let scale = 1 / sum
        for index in 0..<count { values[index] *= scale }
    }
}
