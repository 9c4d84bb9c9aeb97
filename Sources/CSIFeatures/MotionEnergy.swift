/// Short-term motion measure: the variance over the last `steps` resampled steps, averaged over features
/// (dB^2 for `amplitude-db`). A still room gives values near the noise floor; body motion raises it. The daemon
/// compares it with a threshold to report `idle`. O(features) per step, no allocation after creation.
public struct MotionEnergy {
    /// Steps the variance is taken over.
    public let steps: Int
    /// Features per step.
    public let features: Int

    /// Last `steps` steps, (steps, features) ring.
    private var ring: [Float]
    /// Running sum per feature, (features,).
    private var sum: [Double]
    /// Running sum of squares per feature, (features,).
    private var sumOfSquares: [Double]
    /// Next ring row to overwrite.
    private var next = 0
    /// Steps held (<= steps).
    public private(set) var count = 0
    /// Pushes since the running sums were last recomputed exactly (limits floating-point drift).
    private var sinceRecompute = 0

    /// Creates a measure over `steps` steps of `features` floats.
    public init(steps: Int, features: Int) {
        precondition(steps >= 2 && features >= 1, "MotionEnergy: need at least 2 steps and 1 feature")
        self.steps = steps
        self.features = features
        ring = [Float](repeating: 0, count: steps * features)
        sum = [Double](repeating: 0, count: features)
        sumOfSquares = [Double](repeating: 0, count: features)
    }

    /// Adds one step ((features,) values). The arrays are written through their buffers: one uniqueness check
    /// per array per step instead of one per element (this runs at every resampled step of every stream).
    public mutating func push(_ step: UnsafeBufferPointer<Float>) {
        let base = next * features
        let full = count == steps
        let features = self.features
        ring.withUnsafeMutableBufferPointer { ring in
            sum.withUnsafeMutableBufferPointer { sum in
                sumOfSquares.withUnsafeMutableBufferPointer { sumOfSquares in
                    for f in 0..<features {
                        let new = Double(step[f])
                        if full {
                            let old = Double(ring[base + f])
                            sum[f] -= old
                            sumOfSquares[f] -= old * old
                        }
                        sum[f] += new
                        sumOfSquares[f] += new * new
                        ring[base + f] = step[f]
                    }
                }
            }
        }
        next = (next + 1) % steps
        if count < steps { count += 1 }
        sinceRecompute += 1
        if sinceRecompute >= 16 * steps { recompute() }
    }

    /// Mean over features of the population variance over the held steps (0 with fewer than 2 steps).
    public var value: Double {
        guard count >= 2 else { return 0 }
        let n = Double(count)
        var total = 0.0
        for f in 0..<features {
            let mean = sum[f] / n
            total += max(sumOfSquares[f] / n - mean * mean, 0)
        }
        return total / Double(features)
    }

    /// Forgets all steps.
    public mutating func reset() {
        next = 0
        count = 0
        for f in 0..<features { sum[f] = 0; sumOfSquares[f] = 0 }
    }

    private mutating func recompute() {
        sinceRecompute = 0
        for f in 0..<features { sum[f] = 0; sumOfSquares[f] = 0 }
        // the held rows are the last `count` rows before `next`
        for i in 0..<count {
            let row = (next - 1 - i + steps) % steps
            for f in 0..<features {
                let v = Double(ring[row * features + f])
                sum[f] += v
                sumOfSquares[f] += v * v
            }
        }
    }
}
