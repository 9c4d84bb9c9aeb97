import CSIEvents
import CoreMetrics
import Foundation
import MQTTBridge
import NIOConcurrencyHelpers
import Prometheus

/// csihard's Prometheus metrics (docs/metrics.md, ``MetricsCatalogue``), written with the swift-metrics API into
/// a swift-prometheus registry.
///
/// Nothing here is on the per-frame path: the pipeline thread hands every status snapshot (every 0.5 s) to
/// ``update(_:)``, which moves the counters by what the daemon already counted since the previous one, sets the
/// gauges and records the new window latencies; what a stalled pipeline cannot report (its stall age, uptime)
/// and the MQTT bridge's counters are read when Prometheus scrapes (``exposition()``). A stream's series go
/// away when it goes down.
///
/// The swift-metrics factory is passed in rather than taken from `MetricsSystem`, so tests can run daemons in
/// one process without bootstrapping it (it can be bootstrapped only once per process); csihard's main
/// bootstraps `MetricsSystem` with ``makeFactory(registry:)`` and passes the same factory.
public final class DaemonMetrics: Sendable {
    /// The registry the exposition is emitted from.
    public let registry: PrometheusCollectorRegistry
    private let factory: any MetricsFactory
    /// Read at scrape time: seconds since the pipeline loop last went round, and the MQTT bridge's counters.
    private let stallSeconds: @Sendable () -> Double
    private let mqttCounters: @Sendable () -> MQTTBridge.Counters?
    private let startTime: Double, startMonotonic: Double

    /// The histogram buckets of `csihar_event_latency_seconds`: 1 ms to 10 s.
    public static let latencyBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// A swift-prometheus factory writing into `registry`, with the latency histogram's buckets.
    public static func makeFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["csihar_event_latency_seconds"] = latencyBuckets
        return factory
    }

    /// One series: its family and label values (in the catalogue's label order).
    private struct SeriesKey: Hashable {
        var name: String
        var labels: [String]
    }

    private struct State {
        /// Counters and the daemon's value they were last moved to.
        var counters: [SeriesKey: (counter: CoreMetrics.Counter, last: Int)] = [:]
        var gauges: [SeriesKey: CoreMetrics.Gauge] = [:]
        var busy: (counter: FloatingPointCounter, last: Double)?
        /// Each stream's info series (its labels change when it is routed).
        var streamInfo: [String: SeriesKey] = [:]
        var models: Set<SeriesKey> = []
        /// Busy and elapsed seconds at the start of the load ratio's interval.
        var loadMark: (busy: Double, elapsed: Double) = (0, 0)
    }

    private let state = NIOLockedValueBox(State())
    private let latency: CoreMetrics.Timer

    /// Creates the metrics in `registry` through `factory` (default: a swift-prometheus factory on `registry`, see
    /// ``makeFactory(registry:)``). `stallSeconds` and `mqtt` are read at each scrape.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), factory: (any MetricsFactory)? = nil,
                version: String = CSIHARVersion.string,
                stallSeconds: @escaping @Sendable () -> Double = { 0 },
                mqtt: @escaping @Sendable () -> MQTTBridge.Counters? = { nil }) {
        self.registry = registry
        let factory = factory ?? Self.makeFactory(registry: registry)
        self.factory = factory
        self.stallSeconds = stallSeconds
        mqttCounters = mqtt
        startTime = Date().timeIntervalSince1970
        startMonotonic = MonotonicClock.now()
        latency = CoreMetrics.Timer(label: "csihar_event_latency_seconds", dimensions: [], factory: factory)
        state.withLockedValue { state in
            Self.set(&state, "csihar_build_info", [("version", version)], 1, factory)
            Self.set(&state, "csihar_start_time_seconds", [], startTime, factory)
            for type in EventType.allCases where type != .state && type != .subscriberGap {
                Self.count(&state, "csihar_events_total", [("type", type.rawValue)], 0, factory)
            }
        }
    }

    /// Takes in one status snapshot (pipeline thread).
    public func update(_ snapshot: DaemonStatusSnapshot) {
        for seconds in snapshot.newLatencies {
            latency.recordNanoseconds(Int64((max(0, seconds) * 1e9).rounded()))
        }
        let factory = self.factory
        state.withLockedValue { state in
            let counters = snapshot.counters
            Self.count(&state, "csihar_frames_processed_total", [], counters.frames, factory)
            Self.count(&state, "csihar_frames_rejected_total", [], counters.framesRejected, factory)
            Self.count(&state, "csihar_record_issues_total", [], counters.recordIssues, factory)
            Self.count(&state, "csihar_windows_total", [], counters.windows, factory)
            for (type, total) in snapshot.eventsByType {
                Self.count(&state, "csihar_events_total", [("type", type.rawValue)], total, factory)
            }
            Self.set(&state, "csihar_streams", [], Double(snapshot.streams.count), factory)
            Self.set(&state, "csihar_subscribers", [], Double(snapshot.subscribers), factory)
            Self.count(&state, "csihar_subscribers_refused_total", [], snapshot.subscribersRefused, factory)
            Self.count(&state, "csihar_subscriber_dropped_lines_total", [], snapshot.droppedLines, factory)
            for source in snapshot.sources {
                let labels = [("source", source.name)], counters = source.counters
                Self.count(&state, "csihar_source_frames_read_total", labels, counters.framesRead, factory)
                Self.count(&state, "csihar_source_frames_dropped_total", labels + [("reason", "queue_full")],
                           counters.framesDropped, factory)
                if source.framesShed > 0 {
                    Self.count(&state, "csihar_source_frames_dropped_total", labels + [("reason", "worker_backlog")],
                               source.framesShed, factory)
                }
                Self.count(&state, "csihar_source_losses_total", labels, counters.losses, factory)
                Self.set(&state, "csihar_source_queue_frames", labels, Double(counters.queueDepth), factory)
                Self.set(&state, "csihar_source_queue_high_water_frames", labels, Double(counters.queueHighWater), factory)
                Self.set(&state, "csihar_source_queue_capacity_frames", labels, Double(counters.queueCapacity), factory)
            }
            updateModels(&state, snapshot.models)
            updateStreams(&state, snapshot.streams)
            updateLoad(&state, busy: snapshot.busySeconds, elapsed: snapshot.elapsedSeconds)
        }
    }

    /// The exposition now (Prometheus text format 0.0.4, ``PrometheusExposition/contentType``): scrape-time
    /// figures first, then the registry, tidied by ``PrometheusExposition/arrange(_:help:)``.
    public func exposition() -> String {
        let stall = stallSeconds(), mqtt = mqttCounters(), factory = self.factory
        let uptime = MonotonicClock.now() - startMonotonic
        state.withLockedValue { state in
            Self.set(&state, "csihar_uptime_seconds", [], uptime, factory)
            Self.set(&state, "csihar_pipeline_stall_seconds", [], stall, factory)
            if let mqtt {
                Self.set(&state, "csihar_mqtt_connected", [], mqtt.connected ? 1 : 0, factory)
                Self.count(&state, "csihar_mqtt_connections_total", [], mqtt.connections, factory)
                Self.count(&state, "csihar_mqtt_messages_sent_total", [], mqtt.sent, factory)
                Self.set(&state, "csihar_mqtt_queue_messages", [], Double(mqtt.queued), factory)
                Self.count(&state, "csihar_mqtt_dropped_total", [("qos", "0")], mqtt.dropped - mqtt.droppedQoS1, factory)
                Self.count(&state, "csihar_mqtt_dropped_total", [("qos", "1")], mqtt.droppedQoS1, factory)
            }
        }
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return PrometheusExposition.arrange(String(decoding: bytes, as: UTF8.self))
    }

    // MARK: series

    /// Moves counter `name{labels}` to the daemon's `value` (a smaller value than last time is a restart of what
    /// it counts: the counter goes on by `value`).
    private static func count(_ state: inout State, _ name: String, _ labels: [(String, String)], _ value: Int,
                              _ factory: any MetricsFactory) {
        let key = SeriesKey(name: name, labels: labels.map(\.1))
        guard let entry = state.counters[key] else {
            let counter = CoreMetrics.Counter(label: name, dimensions: labels, factory: factory)
            if value > 0 { counter.increment(by: value) }
            state.counters[key] = (counter, value)
            return
        }
        let delta = value >= entry.last ? value - entry.last : value
        if delta > 0 { entry.counter.increment(by: delta) }
        state.counters[key] = (entry.counter, value)
    }

    /// Sets gauge `name{labels}`.
    private static func set(_ state: inout State, _ name: String, _ labels: [(String, String)], _ value: Double,
                            _ factory: any MetricsFactory) {
        let key = SeriesKey(name: name, labels: labels.map(\.1))
        if let gauge = state.gauges[key] { gauge.record(value); return }
        let gauge = CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory)
        gauge.record(value)
        state.gauges[key] = gauge
    }

    /// Removes every series `keep` rejects.
    private static func remove(_ state: inout State, where drop: (SeriesKey) -> Bool) {
        for (key, entry) in state.counters where drop(key) {
            entry.counter.destroy()
            state.counters[key] = nil
        }
        for (key, gauge) in state.gauges where drop(key) {
            gauge.destroy()
            state.gauges[key] = nil
        }
    }

    /// `csihar_model_info` for the models loaded now.
    private func updateModels(_ state: inout State, _ models: [String]) {
        let wanted = Set(models.map { SeriesKey(name: "csihar_model_info", labels: [$0]) })
        guard wanted != state.models else { return }
        let stale = state.models.subtracting(wanted)
        Self.remove(&state) { stale.contains($0) }
        for model in models { Self.set(&state, "csihar_model_info", [("model", model)], 1, factory) }
        state.models = wanted
    }

    /// The per-stream series; those of streams no longer up are removed.
    private func updateStreams(_ state: inout State, _ streams: [StreamSnapshot]) {
        let up = Set(streams.map(\.key))
        let gone = Set(state.streamInfo.keys).subtracting(up)
        if !gone.isEmpty {
            Self.remove(&state) { $0.name.hasPrefix("csihar_stream_") && gone.contains($0.labels.first ?? "") }
            for key in gone { state.streamInfo[key] = nil }
        }
        for stream in streams {
            let labels = [("stream", stream.key)]
            let info = [("stream", stream.key), ("model", stream.model ?? ""), ("route", stream.route ?? ""),
                        ("device", stream.device)]
            let infoKey = SeriesKey(name: "csihar_stream_info", labels: info.map(\.1))
            if let previous = state.streamInfo[stream.key], previous != infoKey {
                Self.remove(&state) { $0 == previous }
            }
            state.streamInfo[stream.key] = infoKey
            Self.set(&state, "csihar_stream_info", info, 1, factory)
            Self.set(&state, "csihar_stream_rate_hz", labels, stream.framesPerSecond, factory)
            Self.set(&state, "csihar_stream_silent_seconds", labels, stream.silentSeconds, factory)
            Self.count(&state, "csihar_stream_frames_total", labels, stream.frames, factory)
            Self.count(&state, "csihar_stream_windows_total", labels, stream.windows, factory)
            Self.count(&state, "csihar_stream_lost_frames_total", labels, stream.lostFrames, factory)
            Self.count(&state, "csihar_stream_falls_rejected_total", labels, stream.fallsRejected, factory)
            Self.count(&state, "csihar_stream_falls_suppressed_total", labels, stream.fallsSuppressed, factory)
        }
    }

    /// The busy-seconds counter, and the load ratio over at least the last 5 s.
    private func updateLoad(_ state: inout State, busy: Double, elapsed: Double) {
        if state.busy == nil {
            state.busy = (FloatingPointCounter(label: "csihar_pipeline_busy_seconds_total", dimensions: [], factory: factory), 0)
            Self.set(&state, "csihar_pipeline_load_ratio", [], 0, factory)
        }
        if let entry = state.busy, busy > entry.last {
            entry.counter.increment(by: busy - entry.last)
            state.busy = (entry.counter, busy)
        }
        let span = elapsed - state.loadMark.elapsed
        if span >= 5 || (state.loadMark.elapsed == 0 && elapsed > 0) {
            let ratio = span > 0 ? (busy - state.loadMark.busy) / span : 0
            Self.set(&state, "csihar_pipeline_load_ratio", [], min(1, max(0, ratio)), factory)
            if span >= 5 { state.loadMark = (busy, elapsed) }
        }
    }
}

extension DaemonMetrics {
    /// Where the metrics go: the registry scrapes are emitted from, and the swift-metrics factory writing into it
    /// (csihard's main: the factory it bootstrapped `MetricsSystem` with; tests: a private one each).
    public struct Backend: Sendable {
        /// The registry.
        public let registry: PrometheusCollectorRegistry
        /// The factory the metrics are made with.
        public let factory: any MetricsFactory

        /// Creates a backend.
        public init(registry: PrometheusCollectorRegistry, factory: any MetricsFactory) {
            self.registry = registry
            self.factory = factory
        }

        /// A fresh registry with ``DaemonMetrics/makeFactory(registry:)`` (not bootstrapped).
        public static func makePrivate() -> Backend {
            let registry = PrometheusCollectorRegistry()
            return Backend(registry: registry, factory: DaemonMetrics.makeFactory(registry: registry))
        }
    }
}
