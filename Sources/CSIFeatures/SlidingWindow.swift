/// A (steps, features) ring buffer of resampled steps that yields a contiguous window every `hopSteps` steps once
/// it is full. Storage is allocated once; `push` and `copyWindow` do not allocate.
public struct SlidingWindow {
    /// Steps per window.
    public let steps: Int
    /// Features per step.
    public let features: Int
    /// Steps between two emitted windows (>= 1).
    public let hopSteps: Int

    /// Ring storage, (steps, features); row `(start + i) % steps` is the i-th oldest step.
    private var ring: [Float]
    /// Row of the oldest step.
    private var start = 0
    /// Steps currently held (<= steps).
    public private(set) var count = 0
    /// Steps pushed since the last emitted window (or since the start).
    private var sinceLastWindow = 0
    /// Windows emitted since creation.
    public private(set) var windowCount = 0
    /// Whether a window was emitted since the last reset.
    private var emittedSinceReset = false
    /// Whether the steps are kept (false: only counted, for a consumer that keeps them itself).
    public let storesSteps: Bool

    /// Creates a window of `steps` x `features` emitted every `hopSteps` steps. With `storesSteps` false it keeps
    /// no steps (no ring, nothing copied) and only says when a window is due (``copyWindow(into:)`` must not be
    /// called): the daemon's streaming engine keeps each stream's steps itself.
    public init(steps: Int, features: Int, hopSteps: Int, storesSteps: Bool = true) {
        precondition(steps >= 1 && features >= 1, "SlidingWindow: steps and features must be positive")
        self.steps = steps
        self.features = features
        self.hopSteps = max(1, hopSteps)
        self.storesSteps = storesSteps
        ring = [Float](repeating: 0, count: storesSteps ? steps * features : 0)
    }

    /// Creates a window whose hop is given in seconds at `sampleRateHz` (rounded to whole steps, at least 1).
    public init(steps: Int, features: Int, hopSeconds: Double, sampleRateHz: Double) {
        self.init(steps: steps, features: features, hopSteps: max(1, Int((hopSeconds * sampleRateHz).rounded())))
    }

    /// Appends one step ((features,) values). Returns true when a window is due: the buffer is full and `hopSteps`
    /// steps have arrived since the previous window (the first window is due as soon as the buffer is full).
    public mutating func push(_ step: UnsafeBufferPointer<Float>) -> Bool {
        precondition(step.count >= features, "SlidingWindow: step has fewer than \(features) features")
        let row: Int
        if count < steps {
            row = (start + count) % steps
            count += 1
        } else {
            row = start
            start = (start + 1) % steps
        }
        if storesSteps {
            ring.withUnsafeMutableBufferPointer { buffer in
                for f in 0..<features { buffer[row * features + f] = step[f] }
            }
        }
        sinceLastWindow += 1
        guard count == steps else { return false }
        if !emittedSinceReset || sinceLastWindow >= hopSteps {
            sinceLastWindow = 0
            emittedSinceReset = true
            windowCount += 1
            return true
        }
        return false
    }

    /// Copies the held steps, oldest first, into `out` as a contiguous (steps, features) block.
    public func copyWindow(into out: UnsafeMutableBufferPointer<Float>) {
        precondition(storesSteps, "SlidingWindow: created with storesSteps = false")
        precondition(out.count >= count * features, "SlidingWindow: output buffer too small")
        ring.withUnsafeBufferPointer { buffer in
            let firstRows = min(count, steps - start)
            // rows start..<start+firstRows, then 0..<(count-firstRows)
            for i in 0..<(firstRows * features) { out[i] = buffer[start * features + i] }
            let rest = (count - firstRows) * features
            for i in 0..<rest { out[firstRows * features + i] = buffer[i] }
        }
    }

    /// Drops every held step (after a gap reset); the next window is due when the buffer is full again.
    public mutating func reset() {
        start = 0
        count = 0
        sinceLastWindow = 0
        emittedSinceReset = false
    }
}
