/// Configuration of a ``Resampler``.
public struct ResamplerConfig: Sendable, Hashable {
    /// Output steps per second of capture time (the model's `sample_rate_hz`).
    public var sampleRateHz: Double
    /// Zero-order-hold points averaged into one step, evenly spaced inside the step: 2 reproduces UT-HAR/SenseFi
    /// at 250 Hz (1 kHz ZOH, keep every 2nd sample, average pairs = mean of the ZOH values at t and t + step/2);
    /// 1 is plain ZOH sampling.
    public var pointsPerStep: Int
    /// Longest time a value may be held (seconds). A larger gap between two frames resets the grid (and the
    /// caller's window) instead of filling it with stale data.
    public var maxHoldSeconds: Double

    /// Creates a configuration.
    public init(sampleRateHz: Double, pointsPerStep: Int = 2, maxHoldSeconds: Double = 0.5) {
        self.sampleRateHz = sampleRateHz
        self.pointsPerStep = max(1, pointsPerStep)
        self.maxHoldSeconds = maxHoldSeconds
    }
}

/// What happened to one pushed frame.
public enum ResampleOutcome: Sendable, Equatable {
    /// The frame was used (zero or more steps were emitted before it took effect).
    case accepted
    /// The first frame, or the first after a reset: it starts a new grid.
    case started
    /// The frame came more than `maxHoldSeconds` after the previous one: the grid restarted at this frame;
    /// the caller must discard any partial window. `gap` is in seconds.
    case gapReset(gap: Double)
    /// Same timestamp as the previous frame (dropped and counted, as UT-HAR drops repeated timestamps).
    case duplicate
    /// Older than the previous frame (dropped and counted).
    case outOfOrder
}

/// Irregular capture timestamps to a regular grid at the model's sample rate, by zero-order hold (MATLAB
/// `interp1(..., 'previous')`, as UT-HAR's preprocessing).
///
/// The grid starts at the first frame's timestamp `t0`; step `n` covers `[t0 + n T, t0 + (n + 1) T)` with
/// `T = 1 / sampleRateHz`, and its value is the mean of the held values at the `pointsPerStep` instants
/// `t0 + n T + i T / pointsPerStep`. The held value at instant `tau` is the last frame with timestamp `<= tau`.
/// A step is emitted as soon as a frame later than its last instant arrives. Lost packets are simply held over;
/// duplicates and out-of-order frames are dropped and counted; gaps beyond `maxHoldSeconds` reset the grid.
/// State is preallocated; `push` does not allocate.
public struct Resampler {
    /// The configuration.
    public let config: ResamplerConfig
    /// Features per step.
    public let features: Int
    /// Frames dropped because their timestamp repeated the previous one.
    public private(set) var duplicates = 0
    /// Frames dropped because they were older than the previous one.
    public private(set) var outOfOrder = 0
    /// Grid resets caused by gaps longer than `maxHoldSeconds`.
    public private(set) var gapResets = 0
    /// Steps emitted since creation.
    public private(set) var emittedSteps = 0

    /// The value held since the last frame, (features,).
    private var held: [Float]
    /// Sum of the held values over the current step's instants, (features,).
    private var accumulator: [Float]
    /// Grid origin (timestamp of the first frame since the last reset); nil before the first frame.
    private var origin: Double?
    /// Timestamp of the last accepted frame.
    private var lastTimestamp = -Double.infinity
    /// False while the held frame's features have not been loaded (lazy pushes).
    private var heldLoaded = true
    /// Index of the next instant to evaluate (step * pointsPerStep + point), counted from the origin.
    private var nextInstant = 0

    /// Timestamps closer than this (seconds) count as the same instant.
    static let timeTolerance = 1e-9

    /// Creates a resampler for vectors of `features` floats.
    public init(config: ResamplerConfig, features: Int) {
        self.config = config
        self.features = features
        held = [Float](repeating: 0, count: features)
        accumulator = [Float](repeating: 0, count: features)
    }

    /// Capture time of instant `index` of the current grid.
    @inline(__always)
    private func instantTime(_ index: Int, origin: Double) -> Double {
        origin + Double(index) / (config.sampleRateHz * Double(config.pointsPerStep))
    }

    /// Capture time at which the next emitted step starts, or nil before the first frame.
    public var nextStepTime: Double? {
        guard let origin else { return nil }
        let step = nextInstant / config.pointsPerStep
        return origin + Double(step) / config.sampleRateHz
    }

    /// Feeds one frame's features taken at `timestamp`. Every completed step is passed to `emit` as
    /// (step start time, (features,) values) before the new value takes effect.
    @discardableResult
    public mutating func push(timestamp: Double, features input: UnsafeBufferPointer<Float>,
                              emit: (Double, UnsafeBufferPointer<Float>) -> Void) -> ResampleOutcome {
        precondition(input.count >= features, "Resampler: input has fewer than \(features) features")
        // The lazy push with the value loaded at once: the held value is always loaded, so `loadHeld` is never called.
        let outcome = push(timestamp: timestamp, loadHeld: { _ in }, emit: emit)
        switch outcome {
        case .duplicate, .outOfOrder:
            break
        case .accepted, .started, .gapReset:
            for f in 0..<features { held[f] = input[f] }
            heldLoaded = true
        }
        return outcome
    }

    /// Lazy form of ``push(timestamp:features:emit:)``: the frame's features are not passed in. The frame becomes
    /// the held one (after `.started`, `.gapReset` and `.accepted`), and `loadHeld` is called to write the held
    /// frame's features into the given (features,) buffer the first time an instant samples it, which may be
    /// during this call (for the previously pushed frame) or a later push or ``finish(loadHeld:emit:)``. A frame that
    /// no instant samples (two frames inside one instant's interval) is never featurised. The caller keeps the held
    /// frame and its loader consistent: `loadHeld` always describes the most recent frame that was not dropped.
    @discardableResult
    public mutating func push(timestamp: Double, loadHeld: (UnsafeMutableBufferPointer<Float>) -> Void,
                              emit: (Double, UnsafeBufferPointer<Float>) -> Void) -> ResampleOutcome {
        guard let origin else {
            start(at: timestamp)
            return .started
        }
        if timestamp == lastTimestamp { duplicates += 1; return .duplicate }
        if timestamp < lastTimestamp { outOfOrder += 1; return .outOfOrder }
        let gap = timestamp - lastTimestamp
        if gap > config.maxHoldSeconds {
            gapResets += 1
            start(at: timestamp)
            return .gapReset(gap: gap)
        }
        advance(before: timestamp, origin: origin, load: loadHeld, emit: emit)
        heldLoaded = false
        lastTimestamp = timestamp
        return .accepted
    }

    /// Lazy form of ``finish(emit:)``: `loadHeld` writes the held (last) frame's features if an instant needs them.
    public mutating func finish(loadHeld: (UnsafeMutableBufferPointer<Float>) -> Void,
                                emit: (Double, UnsafeBufferPointer<Float>) -> Void) {
        guard let origin else { return }
        advance(before: lastTimestamp + 2 * Self.timeTolerance, origin: origin, load: loadHeld, emit: emit)
        reset()
    }

    /// Emits the steps whose instants all lie at or before the last frame's timestamp (end of a recording).
    /// The grid is then reset; the next frame starts a new one.
    public mutating func finish(emit: (Double, UnsafeBufferPointer<Float>) -> Void) {
        finish(loadHeld: { _ in }, emit: emit)
    }

    /// Forgets the grid and the held value (the next frame starts a new grid). Counters are kept.
    public mutating func reset() {
        origin = nil
        lastTimestamp = -.infinity
        nextInstant = 0
        heldLoaded = true
        for f in 0..<features { accumulator[f] = 0 }
    }

    /// Starts a grid at `timestamp`; the frame there becomes the held one, not yet loaded.
    private mutating func start(at timestamp: Double) {
        origin = timestamp
        lastTimestamp = timestamp
        nextInstant = 0
        heldLoaded = false
        for f in 0..<features { accumulator[f] = 0 }
    }

    /// Evaluates every instant strictly before `limit` with the held value, emitting completed steps.
    private mutating func advance(before limit: Double, origin: Double,
                                  load: (UnsafeMutableBufferPointer<Float>) -> Void,
                                  emit: (Double, UnsafeBufferPointer<Float>) -> Void) {
        let points = config.pointsPerStep
        let inversePoints = 1 / Float(points)
        // A frame applies to instants from its timestamp on; 1 ns of slack absorbs rounding of t0 + n/rate.
        while instantTime(nextInstant, origin: origin) < limit - Self.timeTolerance {
            if !heldLoaded {
                held.withUnsafeMutableBufferPointer { load($0) }
                heldLoaded = true
            }
            for f in 0..<features { accumulator[f] += held[f] }
            nextInstant += 1
            if nextInstant % points == 0 {
                for f in 0..<features { accumulator[f] *= inversePoints }
                let stepTime = instantTime(nextInstant - points, origin: origin)
                accumulator.withUnsafeBufferPointer { emit(stepTime, $0) }
                emittedSteps += 1
                for f in 0..<features { accumulator[f] = 0 }
            }
        }
    }
}
