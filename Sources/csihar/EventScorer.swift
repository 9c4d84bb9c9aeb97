import CSIEvents
import CSIFeatures

/// Event-level scoring of a daemon run against a label sidecar (`csihar evaluate --events`). Pure: events and
/// label tracks in, counts out; no I/O.
///
/// Truth: the sidecar's intervals whose label is neither empty nor ``Settings/idleLabel``. Times are seconds from
/// the capture's first frame; event times are capture time, so each event's `time` is taken relative to `origin`.
///
/// Activities: a predicted span runs from an `activity.started` to the matching `activity.ended` (same stream, same
/// activity; one never ended runs to the end of the capture) and starts at the onset the started event reports
/// (`start_time`; its `time` when it has none). A truth segment `[a, b]` is found by a span of the same activity
/// whose start lies within `tolerance` of `a` (`[a - tolerance, a + tolerance]`). Each span matches at most one
/// segment and each segment at most one span, greedily by the smallest |span start - segment start|. The onset delay
/// is measured from `a` to the started event's `time` (when a subscriber learns of it).
///
/// Falls: `fall` segments are scored by `fall.detected` events only (spans of a model's `fall` class, which the
/// daemon may also start as an activity, are ignored, as are spans of the idle label). A fall segment is found by a
/// `fall.detected` whose `time` lies in `[a - fallBeforeSeconds, b + fallAfterSeconds]` (one to one, greedily as
/// above); a `fall.detected` that matches no fall segment is a false fall.
struct EventScorer {
    /// Matching windows and labels.
    struct Settings: Sendable, Equatable {
        /// How far (s) a span's start may lie from a segment's start.
        var toleranceSeconds = 1.5
        /// How far (s) a `fall.detected` may come before a fall segment's start ...
        var fallBeforeSeconds = 1.5
        /// ... or after its end (it comes `fall_confirm_seconds`, 2 s by default, after the fall).
        var fallAfterSeconds = 3.0
        /// The label scored by `fall.detected`.
        var fallLabel = "fall"
        /// The label that is no activity.
        var idleLabel = "idle"
    }

    /// Counts of one activity, pooled over every scored stream.
    struct Counts: Sendable, Equatable {
        /// Truth segments.
        var truth = 0
        /// Predicted spans (`fall.detected` events for the fall label).
        var predicted = 0
        /// Predicted spans (or `fall.detected`) that matched a segment.
        var matched = 0
        /// Truth segments that a prediction matched (equal to `matched`: matching is one to one).
        var found = 0
    }

    /// A predicted activity span, seconds from the capture's first frame.
    struct Span: Sendable, Equatable {
        /// The activity.
        var activity: String
        /// The onset the `activity.started` event reports (`start_time`, else its `time`).
        var start: Double
        /// The `activity.ended` event's time (the end of the capture when it never ended).
        var end: Double
        /// When `activity.started` arrived (its `time`).
        var announced: Double = 0
    }

    /// The settings.
    let settings: Settings
    /// Counts per activity (the fall label included).
    private(set) var counts: [String: Counts] = [:]
    /// Per found activity segment: started event time - segment start (s).
    private(set) var onsetDelays: [Double] = []
    /// Per found fall segment: `fall.detected` time - segment start (s).
    private(set) var fallDelays: [Double] = []
    /// `fall.detected` events that matched no fall segment.
    private(set) var falseFalls = 0
    /// Scored capture time (s, summed over streams), and the part of it not labelled as a fall.
    private(set) var seconds = 0.0, nonFallSeconds = 0.0
    /// Streams scored.
    private(set) var streams = 0

    /// Creates an empty scorer.
    init(settings: Settings = Settings()) { self.settings = settings }

    /// Scores every stream of one capture's events against its `track`. `origin` is the capture time of the
    /// capture's first frame, `duration` the seconds from its first frame to its last. A capture whose events name no
    /// stream is scored as one stream that predicted nothing.
    mutating func add(captureEvents events: [Event], track: LabelTrack, origin: Double, duration: Double) {
        var keys: [String] = []
        var byStream: [String: [Event]] = [:]
        for event in events {
            guard let key = event.stream else { continue }
            if byStream[key] == nil { keys.append(key) }
            byStream[key, default: []].append(event)
        }
        if keys.isEmpty { add(streamEvents: [], track: track, origin: origin, duration: duration) }
        for key in keys { add(streamEvents: byStream[key] ?? [], track: track, origin: origin, duration: duration) }
    }

    /// Scores one stream's events (in emission order) against `track`.
    mutating func add(streamEvents events: [Event], track: LabelTrack, origin: Double, duration: Double) {
        streams += 1
        let truth = track.intervals.filter { !$0.label.isEmpty && $0.label != settings.idleLabel }
        let fallSegments = truth.filter { $0.label == settings.fallLabel }
        let fallSeconds = fallSegments.reduce(0) { $0 + max(0, min($1.end, duration) - max($1.start, 0)) }
        seconds += max(0, duration)
        nonFallSeconds += max(0, duration - fallSeconds)

        let spans = Self.spans(events, origin: origin, end: duration)
            .filter { $0.activity != settings.fallLabel && $0.activity != settings.idleLabel }
        let activities = Set(truth.map(\.label)).union(spans.map(\.activity)).subtracting([settings.fallLabel])
        for activity in activities {
            let segments = truth.filter { $0.label == activity }
            let mine = spans.filter { $0.activity == activity }
            let starts = mine.map(\.start)
            let pairs = Self.match(segments: segments, times: starts, before: settings.toleranceSeconds,
                                   afterStart: settings.toleranceSeconds)
            counts[activity, default: Counts()].truth += segments.count
            counts[activity, default: Counts()].predicted += starts.count
            counts[activity, default: Counts()].matched += pairs.count
            counts[activity, default: Counts()].found += pairs.count
            onsetDelays += pairs.map { mine[$0.time].announced - segments[$0.segment].start }
        }

        let falls = events.filter { $0.type == .fallDetected }.map { $0.time - origin }
        if !fallSegments.isEmpty || !falls.isEmpty {
            let pairs = Self.match(segments: fallSegments, times: falls, before: settings.fallBeforeSeconds,
                                   after: settings.fallAfterSeconds)
            counts[settings.fallLabel, default: Counts()].truth += fallSegments.count
            counts[settings.fallLabel, default: Counts()].predicted += falls.count
            counts[settings.fallLabel, default: Counts()].matched += pairs.count
            counts[settings.fallLabel, default: Counts()].found += pairs.count
            fallDelays += pairs.map { falls[$0.time] - fallSegments[$0.segment].start }
            falseFalls += falls.count - pairs.count
        }
    }

    /// The figures so far.
    var score: EventScore {
        EventScore(counts: counts, onsetDelays: onsetDelays, fallDelays: fallDelays, falseFalls: falseFalls,
                   seconds: seconds, nonFallSeconds: nonFallSeconds, streams: streams,
                   fallLabel: settings.fallLabel)
    }

    /// The activity spans of one stream's events, relative to `origin`; spans still open run to `end`.
    static func spans(_ events: [Event], origin: Double, end: Double) -> [Span] {
        var spans: [Span] = []
        var open: [String: Int] = [:]          // activity -> index of its open span
        for event in events {
            switch event.payload {
            case .activityStarted(let activity, _, let startTime):
                if let index = open[activity] { spans[index].end = event.time - origin }
                open[activity] = spans.count
                spans.append(Span(activity: activity, start: (startTime ?? event.time) - origin, end: end,
                                  announced: event.time - origin))
            case .activityEnded(let activity, _, _):
                if let index = open.removeValue(forKey: activity) { spans[index].end = event.time - origin }
            default:
                break
            }
        }
        return spans
    }

    /// One-to-one matches of `times` to `segments`: a time matches a segment `[a, b]` when it lies in
    /// `[a - before, b + after]` (or `[a - before, a + afterStart]` when `afterStart` is given); pairs are taken greedily by the smallest |time - a| (ties: earlier segment, then
    /// earlier time). Returns (segment index, time index) pairs.
    static func match(segments: [LabelTrack.Interval], times: [Double], before: Double,
                      after: Double = 0, afterStart: Double? = nil) -> [(segment: Int, time: Int)] {
        var candidates: [(distance: Double, segment: Int, time: Int)] = []
        for (s, segment) in segments.enumerated() {
            // up to `after` past the segment's end (falls), or `afterStart` past its start (activity onsets)
            let latest = afterStart.map { segment.start + $0 } ?? segment.end + after
            for (t, time) in times.enumerated() where time >= segment.start - before && time <= latest {
                candidates.append((abs(time - segment.start), s, t))
            }
        }
        candidates.sort { ($0.distance, $0.segment, $0.time) < ($1.distance, $1.segment, $1.time) }
        var usedSegments = Set<Int>(), usedTimes = Set<Int>()
        var pairs: [(segment: Int, time: Int)] = []
        for candidate in candidates where !usedSegments.contains(candidate.segment) && !usedTimes.contains(candidate.time) {
            usedSegments.insert(candidate.segment)
            usedTimes.insert(candidate.time)
            pairs.append((candidate.segment, candidate.time))
        }
        return pairs
    }
}
