import CSIEvents
import Foundation

/// The retained state of every stream the daemon has seen (`<prefix>/<stream>/state`), folded from its events:
///
/// `{"stream", "source", "device", "up", "activity" (null when idle), "confidence" (the running activity's, else
/// null), "activity_since" (capture time), "last_fall" (capture time of the fall), "last_fall_at" (ISO 8601 wall
/// time of its event), "last_fall_confidence", "calibration" (`{"head","baseline","created"}` or null), "model",
/// "rate_hz", "latency_p50_ms", "latency_p99_ms"}`; keys sorted. Latencies are the daemon's frame-to-event
/// percentiles from its heartbeat (the daemon measures them over all streams). A stream that goes down stays,
/// with `"up": false` (its Home Assistant entities become unavailable, their history stays), until more than
/// ``expire(keepingDown:)``'s limit of streams are down: the oldest-down are then forgotten (stream keys carry the
/// transmitter's address, and phones that randomise theirs would otherwise add streams forever).
public struct MQTTStreamStates: Sendable {
    /// One stream's state.
    public struct Entry: Sendable, Equatable {
        /// The events' view of the stream (source, device, activity, since, last fall).
        public var state: StreamState
        /// True between `stream.up` and `stream.down`.
        public var up = true
        /// Smoothed confidence of the running activity.
        public var confidence: Double?
        /// Confidence of the last fall.
        public var lastFallConfidence: Double?
        /// Wall time of the last fall's event, seconds since 1970.
        public var lastFallWallTime: Double?
        /// Rate, model, calibration (from the daemon's status).
        public var diagnostics: MQTTStreamDiagnostics?
    }

    /// The streams seen, by key.
    public private(set) var entries: [String: Entry] = [:]
    /// The keys of the streams that are down, the longest-down first.
    public private(set) var downOrder: [String] = []
    /// The daemon's latest frame-to-event latency percentiles (from `daemon.heartbeat`), milliseconds.
    public private(set) var latencyP50: Double?
    /// Same, 99th percentile.
    public private(set) var latencyP99: Double?

    /// Creates an empty state.
    public init() {}

    /// Folds `event` in; returns the keys of the streams whose state changed (all of them for a heartbeat, whose
    /// latencies every state carries), and whether a stream was seen for the first time (its discovery is due).
    public mutating func apply(_ event: Event) -> (changed: [String], new: [String]) {
        switch event.payload {
        case .state(let streams):
            var new: [String] = []
            for stream in streams where entries[stream.stream] == nil {
                entries[stream.stream] = Entry(state: stream)
                new.append(stream.stream)
            }
            return (new, new)
        case .heartbeat(let counters):
            latencyP50 = counters.latencyP50Milliseconds
            latencyP99 = counters.latencyP99Milliseconds
            return (entries.keys.sorted(), [])
        default:
            break
        }
        guard let key = event.stream else { return ([], []) }
        switch event.payload {
        case .streamUp(let source, let device):
            let isNew = entries[key] == nil
            var entry = entries[key] ?? Entry(state: StreamState(stream: key, source: source, device: device))
            entry.state.source = source
            entry.state.device = device
            entry.state.activity = nil
            entry.state.activitySince = nil
            entry.confidence = nil
            entry.up = true
            entries[key] = entry
            downOrder.removeAll { $0 == key }
            return ([key], isNew ? [key] : [])
        case .streamDown:
            guard entries[key] != nil else { return ([], []) }
            if entries[key]?.up == true { downOrder.append(key) }
            entries[key]?.up = false
            entries[key]?.state.activity = nil
            entries[key]?.state.activitySince = nil
            entries[key]?.confidence = nil
        case .activityStarted(let activity, let confidence, let startTime):
            guard entries[key] != nil else { return ([], []) }
            entries[key]?.state.activity = activity
            entries[key]?.state.activitySince = startTime ?? event.time
            entries[key]?.confidence = confidence
        case .activityEnded:
            guard entries[key] != nil else { return ([], []) }
            entries[key]?.state.activity = nil
            entries[key]?.state.activitySince = nil
            entries[key]?.confidence = nil
        case .fallDetected(let confidence, let fallTime):
            guard entries[key] != nil else { return ([], []) }
            entries[key]?.state.lastFall = fallTime ?? event.time
            entries[key]?.lastFallConfidence = confidence
            entries[key]?.lastFallWallTime = event.wallTime
        default:
            return ([], [])
        }
        return ([key], [])
    }

    /// Forgets the longest-down streams beyond the `limit` most recently down; returns them (key and device, for
    /// clearing their topics).
    public mutating func expire(keepingDown limit: Int) -> [(stream: String, device: String)] {
        guard downOrder.count > limit else { return [] }
        let gone = downOrder.prefix(downOrder.count - max(0, limit))
        downOrder.removeFirst(gone.count)
        return gone.compactMap { key in entries.removeValue(forKey: key).map { (key, $0.state.device) } }
    }

    /// Sets the streams' diagnostics; returns the keys whose state changed.
    public mutating func apply(diagnostics: [String: MQTTStreamDiagnostics]) -> [String] {
        var changed: [String] = []
        for (key, value) in diagnostics where entries[key] != nil && entries[key]?.diagnostics != value {
            entries[key]?.diagnostics = value
            changed.append(key)
        }
        return changed.sorted()
    }

    /// The JSON object of a stream's state (nil for an unknown stream).
    public func object(_ key: String) -> [String: Any]? {
        guard let entry = entries[key] else { return nil }
        func value(_ number: Double?) -> Any { number.map { ($0 * 1e6).rounded() / 1e6 } ?? NSNull() }
        var object: [String: Any] = [
            "stream": key, "source": entry.state.source, "device": entry.state.device, "up": entry.up,
            "activity": entry.state.activity ?? NSNull(), "confidence": value(entry.confidence),
            "activity_since": value(entry.state.activitySince), "last_fall": value(entry.state.lastFall),
            "last_fall_confidence": value(entry.lastFallConfidence),
            "last_fall_at": entry.lastFallWallTime.map { ISO8601.format($0) } ?? NSNull(),
            "latency_p50_ms": value(latencyP50), "latency_p99_ms": value(latencyP99),
            "rate_hz": value(entry.diagnostics.map { ($0.rateHz * 10).rounded() / 10 }),
            "model": entry.diagnostics?.model ?? NSNull(), "calibration": NSNull(),
        ]
        if let calibration = entry.diagnostics?.calibration {
            object["calibration"] = ["head": calibration.head, "baseline": calibration.baseline, "created": calibration.created]
        }
        return object
    }

    /// The retained payload of a stream's state.
    public func payload(_ key: String) -> [UInt8]? { object(key).map(MQTTMessage.json) }
}
