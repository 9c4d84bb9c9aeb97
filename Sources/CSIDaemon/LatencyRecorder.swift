/// Keeps the most recent latencies (seconds) in a ring and answers percentiles.
public struct LatencyRecorder: Sendable {
    /// Recent samples, (capacity,).
    private var samples: [Double]
    /// Next slot and number of valid samples.
    private var next = 0, count = 0
    /// Samples recorded since creation (the ring keeps the last `capacity` of them).
    public private(set) var total = 0

    /// Creates a recorder keeping `capacity` samples.
    public init(capacity: Int = 4096) {
        samples = [Double](repeating: 0, count: max(1, capacity))
    }

    /// Adds one sample.
    public mutating func record(_ seconds: Double) {
        samples[next] = seconds
        next = (next + 1) % samples.count
        count = min(count + 1, samples.count)
        total += 1
    }

    /// The `fraction` percentile (0...1) of the kept samples, 0 when empty.
    public func percentile(_ fraction: Double) -> Double {
        guard count > 0 else { return 0 }
        let sorted = samples[0..<count].sorted()
        let index = min(count - 1, max(0, Int((fraction * Double(count - 1)).rounded())))
        return sorted[index]
    }

    /// The samples recorded after the first `since` of ``total``, oldest first; at most the ring's capacity (older
    /// ones are gone). For a consumer that reads them periodically (the metrics histogram).
    public func samples(since: Int) -> [Double] {
        let wanted = min(max(0, total - since), count)
        guard wanted > 0 else { return [] }
        let capacity = samples.count
        return (0..<wanted).map { samples[(next - wanted + $0 + capacity) % capacity] }
    }
}
