/// Summary statistics of a frame stream in constant memory: counts, time span, rate, per-source inter-frame
/// intervals (log-histogram median), timing gaps, sequence gaps, antenna/bandwidth/subcarrier layouts and sources.
///
/// Used by `csihar inspect`; feed it every frame with ``add(_:)``.
public struct CaptureStatistics: Sendable {
    /// Frames added.
    public private(set) var frames = 0
    /// Timestamp of the first frame.
    public private(set) var firstTimestamp: Double?
    /// Timestamp of the last frame.
    public private(set) var lastTimestamp: Double?
    /// Intervals where the timestamp went backwards.
    public private(set) var backwardSteps = 0
    /// The largest inter-frame interval of one source, in seconds.
    public private(set) var largestInterval = 0.0
    /// Missing sequence numbers summed over sources (a step of k > 1 counts k - 1; wraps at 4096 / 65536).
    public private(set) var missingSequenceNumbers = 0
    /// Frames per `nrx x ntx` layout, e.g. `"3x1"`.
    public private(set) var layouts: [String: Int] = [:]
    /// Frames per bandwidth in MHz.
    public private(set) var bandwidths: [Int: Int] = [:]
    /// Frames per subcarrier count.
    public private(set) var subcarrierCounts: [Int: Int] = [:]
    /// Frames per source (at most `maximumSources` distinct; the rest are counted under `"other"`).
    public private(set) var sources: [String: Int] = [:]
    /// Frames per device name.
    public private(set) var devices: [String: Int] = [:]
    /// Distinct sources kept by name.
    public static let maximumSources = 64

    /// Log-spaced histogram of positive intervals: bin k covers [1e-6 * r^k, 1e-6 * r^(k+1)), r = 1.05.
    private var intervalHistogram = [Int](repeating: 0, count: histogramBins)
    private static let histogramBins = 480
    private static let histogramRatio = 1.05
    /// Previous frame timestamp.
    private var previousTimestamp: Double?
    /// Previous frame timestamp per source (bounded), for per-source intervals.
    private var previousBySource: [String: Double] = [:]
    /// Last sequence number per source, for sequence gaps.
    private var lastSequence: [String: Int] = [:]

    /// Creates empty statistics.
    public init() {}

    /// Adds one frame.
    public mutating func add(_ frame: CSIFrame) {
        frames += 1
        if firstTimestamp == nil { firstTimestamp = frame.timestamp }
        lastTimestamp = frame.timestamp
        let source = frame.source.description
        if let previous = previousTimestamp, frame.timestamp < previous { backwardSteps += 1 }
        previousTimestamp = frame.timestamp
        // Intervals per source: Nexmon interleaves one packet per core/stream, which is not a gap.
        if let previous = previousBySource[source], frame.timestamp >= previous {
            let interval = frame.timestamp - previous
            largestInterval = max(largestInterval, interval)
            intervalHistogram[Self.bin(of: interval)] += 1
        }
        if previousBySource[source] != nil || previousBySource.count < 4 * Self.maximumSources {
            previousBySource[source] = frame.timestamp
        }
        layouts["\(frame.nrx)x\(frame.ntx)", default: 0] += 1
        bandwidths[frame.bandwidthMHz, default: 0] += 1
        subcarrierCounts[frame.nsub, default: 0] += 1
        devices[frame.device.description, default: 0] += 1
        if sources[source] != nil || sources.count < Self.maximumSources {
            sources[source, default: 0] += 1
        } else {
            sources["other", default: 0] += 1
        }
        if let sequence = frame.sequence, lastSequence.count < 4 * Self.maximumSources || lastSequence[source] != nil {
            let modulus = frame.device == .intel5300 ? 65536 : 4096
            if let last = lastSequence[source] {
                let step = ((sequence - last) % modulus + modulus) % modulus
                // Nexmon sends one packet per core/stream with the same sequence: step 0 is not a gap.
                if step > 1 && step < modulus / 2 { missingSequenceNumbers += step - 1 }
            }
            lastSequence[source] = sequence
        }
    }

    /// Histogram bin of a non-negative interval.
    private static func bin(of interval: Double) -> Int {
        guard interval.isFinite else { return histogramBins - 1 }
        guard interval > 1e-6 else { return 0 }
        let k = Int((interval / 1e-6).logarithm(base: histogramRatio))
        return min(max(k, 0), histogramBins - 1)
    }

    /// Lower edge of bin `k` in seconds.
    private static func lowerEdge(of k: Int) -> Double { 1e-6 * pow(histogramRatio, Double(k)) }

    /// Seconds from the first to the last frame.
    public var duration: Double { (lastTimestamp ?? 0) - (firstTimestamp ?? 0) }

    /// Mean frame rate over the duration (frames - 1 intervals), 0 when undefined.
    public var meanRate: Double { duration > 0 ? Double(frames - 1) / duration : 0 }

    /// Median inter-frame interval (to within 5 %, from the histogram), `nil` with fewer than 2 frames.
    public var medianInterval: Double? {
        let total = intervalHistogram.reduce(0, +)
        guard total > 0 else { return nil }
        var seen = 0
        for (k, count) in intervalHistogram.enumerated() {
            seen += count
            if 2 * seen >= total { return k == 0 ? 0 : (Self.lowerEdge(of: k) * Self.lowerEdge(of: k + 1)).squareRoot() }
        }
        return nil
    }

    /// Intervals longer than `factor` times the median (timing gaps: dropped frames or pauses).
    public func gapCount(factor: Double = 5) -> Int {
        guard let median = medianInterval, median > 0 else { return 0 }
        let threshold = median * factor
        var count = 0
        for (k, binCount) in intervalHistogram.enumerated() where Self.lowerEdge(of: k) > threshold {
            count += binCount
        }
        return count
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Double {
    /// `log(self) / log(base)`.
    fileprivate func logarithm(base: Double) -> Double { log(self) / log(base) }
}
