/// The kinds of event the daemon publishes; the raw value is the `type` field on the wire.
public enum EventType: String, Sendable, CaseIterable, Hashable {
    /// An activity began on a stream (after smoothing, hysteresis and minimum duration).
    case activityStarted = "activity.started"
    /// The current activity of a stream ended.
    case activityEnded = "activity.ended"
    /// A fall was detected and confirmed (nothing after it showed a recovery; rate-limited by a cooldown).
    case fallDetected = "fall.detected"
    /// Raw per-window class probabilities (not sent to subscribers unless asked for).
    case prediction = "prediction"
    /// A stream appeared (first frame of a transmitter on a source).
    case streamUp = "stream.up"
    /// A stream went silent, or its source went away.
    case streamDown = "stream.down"
    /// A source or stream reported a problem (corrupt record, unusable layout, interface gone).
    case streamError = "stream.error"
    /// Periodic daemon counters.
    case daemonHeartbeat = "daemon.heartbeat"
    /// Sent only to one subscriber: lines were dropped for it because it read too slowly.
    case subscriberGap = "subscriber.gap"
    /// `state`: what is going on now (streams up, each one's running activity), the first line a subscriber gets.
    case state = "state"
}

/// Counters carried by `daemon.heartbeat`.
public struct DaemonCounters: Sendable, Hashable {
    /// Frames read from all sources since start.
    public var frames: Int = 0
    /// Windows classified since start.
    public var windows: Int = 0
    /// Events published since start.
    public var events: Int = 0
    /// Streams currently up.
    public var streams: Int = 0
    /// Subscribers currently connected.
    public var subscribers: Int = 0
    /// Lines dropped for slow subscribers since start (all subscribers).
    public var droppedLines: Int = 0
    /// Corrupt or skipped records reported by readers since start.
    public var recordIssues: Int = 0
    /// Frames dropped by sources before the pipeline because it fell behind (bounded live queues), since start.
    public var framesDropped: Int = 0
    /// Frames the pipeline could not featurise (wrong layout for the model), since start; included in `frames`.
    public var framesRejected: Int = 0
    /// Window classification latency (frame that completed the window to event), median, milliseconds.
    public var latencyP50Milliseconds: Double = 0
    /// Same, 99th percentile, milliseconds.
    public var latencyP99Milliseconds: Double = 0

    /// Creates zeroed counters.
    public init() {}
}

/// What an event says, beyond the common fields.
public enum EventPayload: Sendable, Hashable {
    /// `activity.started`: the activity, its smoothed confidence and the estimated capture time it began
    /// (`start_time`: the windows that show it reach back before the deciding window's end; `nil` leaves it out).
    case activityStarted(activity: String, confidence: Double, startTime: Double? = nil)
    /// `activity.ended`: the activity, its mean confidence while it lasted, and its duration in seconds.
    case activityEnded(activity: String, confidence: Double, duration: Double)
    /// `fall.detected`: smoothed fall confidence, and the capture time of the fall itself (`fall_time`; the event's
    /// `time` is when the fall was confirmed, `smoother.fall_confirm_seconds` later). `nil` leaves `fall_time` out.
    case fallDetected(confidence: Double, fallTime: Double? = nil)
    /// `prediction`: one window's probabilities (aligned with `labels`) and its motion energy.
    case prediction(labels: [String], probabilities: [Float], motionEnergy: Double)
    /// `stream.up`: the capture source name and device kind.
    case streamUp(source: String, device: String)
    /// `stream.down`: why (`silence`, `source-ended`, `source-lost`, `shutdown`).
    case streamDown(reason: String)
    /// `stream.error`: a message, and a stable kind for counting.
    case streamError(kind: String, message: String)
    /// `daemon.heartbeat`: counters.
    case heartbeat(DaemonCounters)
    /// `subscriber.gap`: lines dropped for this subscriber since its last gap notice.
    case gap(dropped: Int)
    /// `state`: the streams up when a subscriber connected, in stream-key order.
    case state(streams: [StreamState])

    /// The wire type of this payload.
    public var type: EventType {
        switch self {
        case .activityStarted: return .activityStarted
        case .activityEnded: return .activityEnded
        case .fallDetected: return .fallDetected
        case .prediction: return .prediction
        case .streamUp: return .streamUp
        case .streamDown: return .streamDown
        case .streamError: return .streamError
        case .heartbeat: return .daemonHeartbeat
        case .gap: return .subscriberGap
        case .state: return .state
        }
    }
}

/// One published event. `seq` increases by one per event within a daemon run (gaps at a subscriber mean drops).
public struct Event: Sendable, Hashable {
    /// Position in the daemon's event sequence (assigned by ``EventSequencer``; 0 before that).
    public var seq: UInt64
    /// Capture time in seconds (timestamp of the data the event is about).
    public var time: Double
    /// Wall-clock time the event was made, seconds since 1970 (encoded as ISO 8601 UTC).
    public var wallTime: Double
    /// Stream key (`source|transmitter`), `nil` for daemon-wide events.
    public var stream: String?
    /// The type-specific content.
    public var payload: EventPayload

    /// The wire type.
    public var type: EventType { payload.type }

    /// Creates an event.
    public init(seq: UInt64 = 0, time: Double, wallTime: Double, stream: String?, payload: EventPayload) {
        self.seq = seq
        self.time = time
        self.wallTime = wallTime
        self.stream = stream
        self.payload = payload
    }
}

/// Hands out the per-run increasing `seq` numbers. Not thread-safe: owned by the pipeline thread.
public struct EventSequencer: Sendable {
    /// The next number to hand out.
    public private(set) var next: UInt64 = 1

    /// Creates a sequencer starting at 1.
    public init() {}

    /// Stamps `event` with the next sequence number.
    public mutating func stamp(_ event: inout Event) {
        event.seq = next
        next += 1
    }
}
