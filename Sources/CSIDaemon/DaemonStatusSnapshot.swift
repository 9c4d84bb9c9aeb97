import CSIEvents
import Foundation

/// What the pipeline thread knows every 0.5 s: the counters, each source's and each stream's figures. The
/// runner makes one per status refresh and renders the socket's `status` reply from it (``jsonText``); the
/// metrics (``DaemonMetrics``) read the same value, so nothing is counted twice and the per-stream rates are those
/// `status` shows.
public struct DaemonStatusSnapshot: Sendable {
    /// One capture source's figures.
    public struct Source: Sendable, Equatable {
        /// `replay:FILE`, `pcap:IFACE`, `netlink`.
        public var name: String
        /// Its counters (frames read and dropped, live queue depth).
        public var counters: SourceCounters
        /// Its live frames a backed-up pipeline worker shed (drop-oldest) after the source had delivered them.
        public var framesShed: Int

        /// Creates a source entry.
        public init(name: String, counters: SourceCounters, framesShed: Int = 0) {
            self.name = name
            self.counters = counters
            self.framesShed = framesShed
        }
    }

    /// The pipeline's counters (frames, windows, events, rejected frames, record issues, streams up).
    public var counters = DaemonCounters()
    /// Events published since start, by type.
    public var eventsByType: [EventType: Int] = [:]
    /// The loaded models' names (`status`'s `models`), and all of them joined (`status`'s `model`; nil: none).
    public var models: [String] = [], model: String?
    /// Subscribers connected now, lines dropped for slow subscribers, connections refused (limit or allow-list).
    public var subscribers = 0, droppedLines = 0, subscribersRefused = 0
    /// Frame-to-event latency percentiles over the recent windows, seconds.
    public var latencyP50 = 0.0, latencyP99 = 0.0
    /// Every source, in the order given.
    public var sources: [Source] = []
    /// Every stream up, by key.
    public var streams: [StreamSnapshot] = []
    /// Seconds the pipeline thread has run, and of those, seconds it spent working (not sleeping for frames).
    public var elapsedSeconds = 0.0, busySeconds = 0.0
    /// Frame-to-event latencies (seconds) of the windows classified since the previous snapshot (filled only when
    /// metrics are on; at most the recorder's ring).
    public var newLatencies: [Double] = []

    /// Creates an empty snapshot.
    public init() {}

    /// The sources' counters added up (`queueHighWater` is the highest of them).
    public var sourceTotals: SourceCounters {
        SourceCounters.total(sources.map(\.counters))
    }

    /// The `status` reply: a JSON object with sorted keys (README "csihar status").
    public var jsonText: String {
        var object: [String: Any] = [
            "type": "status",
            "model": model ?? NSNull(),
            "models": models,
            "frames": counters.frames, "windows": counters.windows, "events": counters.events,
            "subscribers": subscribers, "dropped_lines": droppedLines,
            "record_issues": counters.recordIssues,
            "frames_rejected": counters.framesRejected,
            "subscribers_refused": subscribersRefused,
            "latency_p50_ms": latencyP50 * 1000,
            "latency_p99_ms": latencyP99 * 1000,
        ]
        object["sources"] = sources.map { source -> [String: Any] in
            let counters = source.counters
            return ["source": source.name, "frames_read": counters.framesRead,
                    "frames_dropped": counters.framesDropped + source.framesShed,
                    "queue_high_water": counters.queueHighWater, "truncations": counters.truncations,
                    "rotations": counters.rotations, "losses": counters.losses, "starts": counters.starts]
        }
        let totals = sourceTotals
        object["frames_read"] = totals.framesRead
        object["frames_dropped"] = totals.framesDropped + sources.reduce(0) { $0 + $1.framesShed }
        object["streams"] = streams.map { stream -> [String: Any] in
            ["stream": stream.key, "source": stream.source, "frames": stream.frames, "windows": stream.windows,
             "lost_frames": stream.lostFrames,
             "falls_rejected": stream.fallsRejected, "falls_suppressed": stream.fallsSuppressed,
             "frames_per_second": stream.framesPerSecond, "windows_per_second": stream.windowsPerSecond,
             "activity": stream.activity ?? NSNull(), "silent_seconds": stream.silentSeconds,
             "calibration": stream.calibration?.jsonObject ?? NSNull(),
             "model": stream.model ?? NSNull(), "route": stream.route ?? NSNull()]
        }
        return (try? JSONLine.string(object)) ?? "{\"type\":\"status\"}"
    }
}
