/// A source's own counters (reported in `status`; dropped frames also in heartbeats).
public struct SourceCounters: Sendable, Hashable {
    /// Frames the source produced (for a live source: received from the device, including dropped ones).
    public var framesRead = 0
    /// Frames dropped because the pipeline fell behind (bounded live queue full; the oldest go first).
    public var framesDropped = 0
    /// Most frames ever waiting in the live queue.
    public var queueHighWater = 0
    /// Frames waiting in the live queue now, and how many it holds (0 and 0 for a replay file).
    public var queueDepth = 0, queueCapacity = 0
    /// Followed file: times it was truncated (reopened from its start) and rotated (the new file opened).
    public var truncations = 0, rotations = 0
    /// Live source: times the device was lost, and times capture (re)started.
    public var losses = 0, starts = 0
    /// Creates zeroed counters.
    public init() {}

    /// Several sources' counters added up (`queueHighWater` is the highest of them).
    public static func total<S: Sequence>(_ counters: S) -> SourceCounters where S.Element == SourceCounters {
        counters.reduce(into: SourceCounters()) { total, counters in
            total.framesRead += counters.framesRead
            total.framesDropped += counters.framesDropped
            total.queueHighWater = max(total.queueHighWater, counters.queueHighWater)
            total.queueDepth += counters.queueDepth
            total.queueCapacity += counters.queueCapacity
            total.truncations += counters.truncations
            total.rotations += counters.rotations
            total.losses += counters.losses
            total.starts += counters.starts
        }
    }
}
