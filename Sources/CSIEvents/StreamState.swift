/// One stream as a `state` line reports it: what a subscriber that connects late needs to know without waiting
/// for the next change (gpsd sends its devices the same way).
public struct StreamState: Sendable, Hashable {
    /// Stream key (`source|transmitter`).
    public var stream: String
    /// The source it comes from (`replay:...`, `pcap:wlan0`).
    public var source: String
    /// The device (`intel5300`, `nexmon`, ...).
    public var device: String
    /// The activity running now (after `activity.started`, until `activity.ended`), `nil` when idle.
    public var activity: String?
    /// Capture time the running activity started (`start_time` of its `activity.started`, else that event's time).
    public var activitySince: Double?
    /// Capture time of the stream's last `fall.detected` (`fall_time`, else the event's time), `nil` if none.
    public var lastFall: Double?

    /// Creates a stream state.
    public init(stream: String, source: String, device: String, activity: String? = nil, activitySince: Double? = nil,
                lastFall: Double? = nil) {
        self.stream = stream
        self.source = source
        self.device = device
        self.activity = activity
        self.activitySince = activitySince
        self.lastFall = lastFall
    }

    /// Folds `event` into the state of the streams it is about: `stream.up` adds one, `stream.down` removes it,
    /// `activity.started`/`activity.ended` set and clear the running activity, `fall.detected` the last fall.
    public static func apply(_ event: Event, to streams: inout [String: StreamState]) {
        guard let key = event.stream else { return }
        switch event.payload {
        case .streamUp(let source, let device):
            streams[key] = StreamState(stream: key, source: source, device: device)
        case .streamDown:
            streams[key] = nil
        case .activityStarted(let activity, _, let startTime):
            streams[key]?.activity = activity
            streams[key]?.activitySince = startTime ?? event.time
        case .activityEnded:
            streams[key]?.activity = nil
            streams[key]?.activitySince = nil
        case .fallDetected(_, let fallTime):
            streams[key]?.lastFall = fallTime ?? event.time
        default:
            break
        }
    }
}
