import CSICapture

/// Measures a new stream's measurement rate from capture timestamps while holding its first measurements, so that
/// the router can choose a model by rate and the chosen model still gets every measurement.
///
/// The rate is known once the held measurements span ``seconds`` of capture time or ``maximumMeasurements`` are
/// held (fast streams are measured sooner; memory per stream stays bounded): (count - 1) / span.
public struct RateProbe {
    /// Capture seconds to measure over.
    public let seconds: Double
    /// Most measurements held.
    public static let maximumMeasurements = 256
    /// The held measurements, oldest first.
    public private(set) var held: [CSIFrame] = []

    /// Creates a probe over `seconds`.
    public init(seconds: Double) { self.seconds = max(0.1, seconds) }

    /// Holds one measurement.
    public mutating func add(_ measurement: CSIFrame) { held.append(measurement) }

    /// Capture seconds from the first held measurement to the last.
    public var span: Double {
        guard let first = held.first, let last = held.last else { return 0 }
        return max(0, last.timestamp - first.timestamp)
    }

    /// Whether enough is held to tell the rate.
    public var isComplete: Bool { held.count >= Self.maximumMeasurements || (held.count >= 2 && span >= seconds) }

    /// The measured rate once ``isComplete`` (or, with `partial`, from whatever is held: the stream ended), Hz.
    public func rate(partial: Bool = false) -> Double? {
        guard (isComplete || partial), held.count >= 2, span > 0 else { return nil }
        return Double(held.count - 1) / span
    }

    /// Hands back the held measurements and forgets them.
    public mutating func release() -> [CSIFrame] {
        defer { held = [] }
        return held
    }
}
