/// Every metric csihard exports (docs/metrics.md lists the same): name, Prometheus type, label names and the
/// `# HELP` text. ``DaemonMetrics`` creates its series under these names, and the exposition gets its HELP lines
/// from here (swift-metrics has no help text).
public enum MetricsCatalogue {
    /// One metric family.
    public struct Entry: Sendable, Equatable {
        /// `csihar_...` (base units; counters end in `_total`).
        public let name: String
        /// `counter`, `gauge` or `histogram`.
        public let type: String
        /// Label names, in the order the series carry them.
        public let labels: [String]
        /// The `# HELP` text.
        public let help: String
    }

    /// Every family, grouped as in docs/metrics.md.
    public static let entries: [Entry] = [
        // Daemon
        .init(name: "csihar_build_info", type: "gauge", labels: ["version"], help: "The csihar version running (value 1)."),
        .init(name: "csihar_start_time_seconds", type: "gauge", labels: [], help: "When csihard started, seconds since 1970."),
        .init(name: "csihar_uptime_seconds", type: "gauge", labels: [], help: "Seconds since csihard started."),
        .init(name: "csihar_model_info", type: "gauge", labels: ["model"],
              help: "A loaded model (name (architecture, file)), value 1; changes with SIGHUP reloads."),
        // Sources
        .init(name: "csihar_source_frames_read_total", type: "counter", labels: ["source"],
              help: "Frames a capture source produced (live sources: received from the device, dropped ones included)."),
        .init(name: "csihar_source_frames_dropped_total", type: "counter", labels: ["source", "reason"],
              help: "Live frames dropped, by reason (queue_full: the live queue was full, oldest dropped; worker_backlog: a pipeline worker fell behind, its oldest waiting live frames dropped)."),
        .init(name: "csihar_source_queue_frames", type: "gauge", labels: ["source"],
              help: "Frames waiting in a live source's queue for the pipeline (0 for replay files)."),
        .init(name: "csihar_source_queue_high_water_frames", type: "gauge", labels: ["source"],
              help: "Most frames ever waiting in a live source's queue."),
        .init(name: "csihar_source_queue_capacity_frames", type: "gauge", labels: ["source"],
              help: "Frames a live source's queue holds before it drops the oldest (sources.queue_frames; 0 for replay files)."),
        .init(name: "csihar_source_losses_total", type: "counter", labels: ["source"],
              help: "Times a live source's device went away (it is reopened with backoff)."),
        // Pipeline
        .init(name: "csihar_frames_processed_total", type: "counter", labels: [],
              help: "Frames the pipeline took in from every source."),
        .init(name: "csihar_frames_rejected_total", type: "counter", labels: [],
              help: "Frames the pipeline could not featurise (layout not the model's); counted in processed too."),
        .init(name: "csihar_record_issues_total", type: "counter", labels: [],
              help: "Corrupt or skipped capture records the readers reported."),
        .init(name: "csihar_windows_total", type: "counter", labels: [],
              help: "Windows made (classified when the stream has a model)."),
        .init(name: "csihar_events_total", type: "counter", labels: ["type"], help: "Events published, by type."),
        .init(name: "csihar_event_latency_seconds", type: "histogram", labels: [],
              help: "Arrival of the frame that completed a window to its classification and events, per window."),
        .init(name: "csihar_streams", type: "gauge", labels: [], help: "Streams up."),
        .init(name: "csihar_pipeline_busy_seconds_total", type: "counter", labels: [],
              help: "Seconds the pipeline thread spent working rather than waiting for frames (rate() is its load)."),
        .init(name: "csihar_pipeline_load_ratio", type: "gauge", labels: [],
              help: "Fraction of the last 5 s or more the pipeline thread was busy (0 to 1)."),
        .init(name: "csihar_pipeline_stall_seconds", type: "gauge", labels: [],
              help: "Seconds since the pipeline loop last went round (read at scrape time; the watchdog's measure)."),
        // Subscribers
        .init(name: "csihar_subscribers", type: "gauge", labels: [], help: "Socket subscribers connected."),
        .init(name: "csihar_subscribers_refused_total", type: "counter", labels: [],
              help: "Subscriber connections refused (socket.max_subscribers or the allow-list)."),
        .init(name: "csihar_subscriber_dropped_lines_total", type: "counter", labels: [],
              help: "Event lines dropped for slow subscribers (all subscribers)."),
        // Streams
        .init(name: "csihar_stream_info", type: "gauge", labels: ["stream", "model", "route", "device"],
              help: "A stream up, its model, the route that chose it and its device (value 1; empty model/route: none yet)."),
        .init(name: "csihar_stream_rate_hz", type: "gauge", labels: ["stream"],
              help: "A stream's frame rate over the last status refresh (0.5 s), as csihar status shows it."),
        .init(name: "csihar_stream_frames_total", type: "counter", labels: ["stream"],
              help: "Frames of a stream since it came up."),
        .init(name: "csihar_stream_windows_total", type: "counter", labels: ["stream"],
              help: "Windows of a stream since it came up."),
        .init(name: "csihar_stream_lost_frames_total", type: "counter", labels: ["stream"],
              help: "Frames missing by a stream's sequence numbers since it came up (lost before capture)."),
        .init(name: "csihar_stream_falls_rejected_total", type: "counter", labels: ["stream"],
              help: "Falls a stream's smoother dropped because a recovery followed them, since it came up."),
        .init(name: "csihar_stream_falls_suppressed_total", type: "counter", labels: ["stream"],
              help: "Falls a stream's smoother did not report because the person was already down, since it came up."),
        .init(name: "csihar_stream_silent_seconds", type: "gauge", labels: ["stream"],
              help: "Seconds since a stream's last frame."),
        // MQTT bridge
        .init(name: "csihar_mqtt_connected", type: "gauge", labels: [], help: "1 while connected to the MQTT broker."),
        .init(name: "csihar_mqtt_connections_total", type: "counter", labels: [], help: "Accepted MQTT connections."),
        .init(name: "csihar_mqtt_messages_sent_total", type: "counter", labels: [], help: "MQTT messages the broker took."),
        .init(name: "csihar_mqtt_queue_messages", type: "gauge", labels: [],
              help: "Event messages waiting for the broker (mqtt.queue_messages holds at most)."),
        .init(name: "csihar_mqtt_dropped_total", type: "counter", labels: ["qos"],
              help: "Event messages dropped because the MQTT queue was full, by QoS."),
    ]

    /// HELP text by metric name.
    public static let help: [String: String] = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.help) })

    /// The entry named `name`.
    public static func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }
}
