import CSIEvents
import Foundation
import MQTTBridge
import Testing
@testable import CSIDaemon

/// ``DaemonMetrics`` and ``PrometheusExposition``: known status snapshots give exactly the expected lines, counters
/// follow the daemon's counts across snapshots, a stream's series go with it, the histogram is cumulative, every
/// family has HELP from the catalogue, and docs/metrics.md names every metric. Each test has its own registry
/// (`MetricsSystem` is never bootstrapped in the tests).
@Suite struct MetricsExpositionTests {
    static let stream = "replay:samples/a.dat|unknown"

    /// A snapshot with one replay source and one stream.
    private func snapshot(frames: Int, windows: Int, falls: Int, rate: Double = 250, model: String? = "gru-a (gru, a.safetensors)",
                          route: String? = "route[1]", streamFrames: Int? = nil) -> DaemonStatusSnapshot {
        var snapshot = DaemonStatusSnapshot()
        snapshot.counters.frames = frames
        snapshot.counters.windows = windows
        snapshot.counters.events = 2 + falls
        snapshot.counters.framesRejected = 3
        snapshot.eventsByType = [.streamUp: 1, .daemonHeartbeat: 1, .fallDetected: falls]
        snapshot.models = ["gru-a (gru, a.safetensors)"]
        snapshot.subscribers = 2
        snapshot.droppedLines = 7
        var live = SourceCounters()
        live.framesRead = frames + 5
        live.framesDropped = 5
        live.queueDepth = 12
        live.queueHighWater = 40
        live.queueCapacity = 4096
        snapshot.sources = [.init(name: "pcap:wlan0", counters: live)]
        snapshot.streams = [StreamSnapshot(key: Self.stream, source: "replay:samples/a.dat", device: "intel5300",
                                           frames: streamFrames ?? frames, windows: windows, lostFrames: 1,
                                           framesPerSecond: rate, windowsPerSecond: 10, activity: nil, silentSeconds: 0.25,
                                           calibration: nil, model: model, route: route)]
        snapshot.streams[0].fallsRejected = 1
        snapshot.streams[0].fallsSuppressed = 2
        snapshot.elapsedSeconds = 10
        snapshot.busySeconds = 2.5
        return snapshot
    }

    private func lines(_ text: String) -> Set<String> { Set(text.split(separator: "\n").map(String.init)) }

    @Test func knownCountsGiveExactLines() {
        let metrics = DaemonMetrics(version: "9.9.9", stallSeconds: { 0.125 })
        metrics.update(snapshot(frames: 1000, windows: 40, falls: 1))
        let text = metrics.exposition()
        let got = lines(text)
        let expected = [
            "# HELP csihar_frames_processed_total Frames the pipeline took in from every source.",
            "# TYPE csihar_frames_processed_total counter",
            "csihar_frames_processed_total 1000",
            "csihar_frames_rejected_total 3",
            "csihar_windows_total 40",
            "csihar_events_total{type=\"fall.detected\"} 1",
            "csihar_events_total{type=\"stream.up\"} 1",
            "csihar_events_total{type=\"activity.started\"} 0",
            "csihar_subscribers 2.0",
            "csihar_subscriber_dropped_lines_total 7",
            "csihar_source_frames_read_total{source=\"pcap:wlan0\"} 1005",
            "csihar_source_frames_dropped_total{source=\"pcap:wlan0\",reason=\"queue_full\"} 5",
            "csihar_source_queue_frames{source=\"pcap:wlan0\"} 12.0",
            "csihar_source_queue_high_water_frames{source=\"pcap:wlan0\"} 40.0",
            "csihar_source_queue_capacity_frames{source=\"pcap:wlan0\"} 4096.0",
            "csihar_stream_info{stream=\"\(Self.stream)\",model=\"gru-a (gru, a.safetensors)\",route=\"route[1]\",device=\"intel5300\"} 1.0",
            "csihar_stream_rate_hz{stream=\"\(Self.stream)\"} 250.0",
            "csihar_stream_frames_total{stream=\"\(Self.stream)\"} 1000",
            "csihar_stream_lost_frames_total{stream=\"\(Self.stream)\"} 1",
            "csihar_stream_falls_rejected_total{stream=\"\(Self.stream)\"} 1",
            "csihar_stream_falls_suppressed_total{stream=\"\(Self.stream)\"} 2",
            "csihar_streams 1.0",
            "csihar_model_info{model=\"gru-a (gru, a.safetensors)\"} 1.0",
            "csihar_build_info{version=\"9.9.9\"} 1.0",
            "csihar_pipeline_busy_seconds_total 2.5",
            "csihar_pipeline_load_ratio 0.25",
            "csihar_pipeline_stall_seconds 0.125",
        ]
        let missing = expected.filter { !got.contains($0) }
        #expect(missing == [], "exposition:\n\(text)")
        let checker = ExpositionChecker(text)
        #expect(checker.problems.isEmpty, "\(checker.problems)")
        // Families sorted by name, HELP right before TYPE.
        let typeLines = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
        #expect(typeLines == typeLines.sorted())
        #expect(!got.contains { $0.hasPrefix("csihar_mqtt_") }, "no MQTT series without a bridge")
    }

    @Test func countersFollowTheDaemonAndAStreamsSeriesGoWithIt() {
        let metrics = DaemonMetrics()
        metrics.update(snapshot(frames: 1000, windows: 40, falls: 1))
        metrics.update(snapshot(frames: 1500, windows: 60, falls: 2, rate: 500, model: "gru-b (gru, b.safetensors)", route: "route[2]"))
        var checker = ExpositionChecker(metrics.exposition())
        #expect(checker.value("csihar_frames_processed_total") == 1500)
        #expect(checker.value("csihar_events_total", ["type": "fall.detected"]) == 2)
        #expect(checker.value("csihar_stream_rate_hz", ["stream": Self.stream]) == 500)
        // The info series follows the stream's route: the old labels are gone.
        #expect(checker.values("csihar_stream_info").count == 1)
        #expect(checker.value("csihar_stream_info", ["model": "gru-b (gru, b.safetensors)", "route": "route[2]"]) == 1)
        // The stream went down and came back with fewer frames: its counter goes on (a restart), never back.
        metrics.update(snapshot(frames: 1600, windows: 61, falls: 2, streamFrames: 100))
        checker = ExpositionChecker(metrics.exposition())
        #expect(checker.value("csihar_stream_frames_total", ["stream": Self.stream]) == 1600)
        // Gone: every csihar_stream_* series of it disappears; daemon-wide series stay.
        var empty = snapshot(frames: 1700, windows: 62, falls: 2)
        empty.streams = []
        metrics.update(empty)
        checker = ExpositionChecker(metrics.exposition())
        #expect(checker.problems.isEmpty, "\(checker.problems)")
        #expect(!checker.samples.contains { $0.name.hasPrefix("csihar_stream_") })
        #expect(checker.value("csihar_streams") == 0 && checker.value("csihar_frames_processed_total") == 1700)
    }

    @Test func latencyHistogramIsCumulativeWithInfEqualToCount() {
        let metrics = DaemonMetrics()
        var first = snapshot(frames: 10, windows: 3, falls: 0)
        first.newLatencies = [0.0004, 0.003, 0.003]
        metrics.update(first)
        var second = snapshot(frames: 20, windows: 5, falls: 0)
        second.newLatencies = [0.2, 30]
        metrics.update(second)
        let checker = ExpositionChecker(metrics.exposition())
        #expect(checker.problems.isEmpty, "\(checker.problems)")
        let bucket = { (le: String) in checker.value("csihar_event_latency_seconds_bucket", ["le": le]) }
        #expect(bucket("0.001") == 1 && bucket("0.0025") == 1 && bucket("0.005") == 3 && bucket("0.25") == 4 && bucket("10.0") == 4)
        #expect(bucket("+Inf") == 5 && checker.value("csihar_event_latency_seconds_count") == 5)
        #expect(abs((checker.value("csihar_event_latency_seconds_sum") ?? 0) - 30.2064) < 1e-9)
    }

    @Test func mqttCountersAreReadAtScrapeTime() {
        let counters = MQTTBridge.Counters(queued: 4, dropped: 9, droppedQoS1: 2, sent: 120, connections: 3, connected: true,
                                           published: [:])
        let metrics = DaemonMetrics(mqtt: { counters })
        let checker = ExpositionChecker(metrics.exposition())
        #expect(checker.problems.isEmpty, "\(checker.problems)")
        #expect(checker.value("csihar_mqtt_connected") == 1 && checker.value("csihar_mqtt_queue_messages") == 4)
        #expect(checker.value("csihar_mqtt_messages_sent_total") == 120 && checker.value("csihar_mqtt_connections_total") == 3)
        #expect(checker.value("csihar_mqtt_dropped_total", ["qos": "0"]) == 7 && checker.value("csihar_mqtt_dropped_total", ["qos": "1"]) == 2)
    }

    @Test func arrangeSortsFamiliesAndAddsHelp() {
        let raw = "# TYPE b_total counter\nb_total{x=\"2\"} 2\nb_total{x=\"1\"} 1\n# HELP a kept\n# TYPE a gauge\na 1.0\n"
        let text = PrometheusExposition.arrange(raw, help: ["b_total": "B \\ help", "a": "replaced"])
        #expect(text == "# HELP a kept\n# TYPE a gauge\na 1.0\n# HELP b_total B \\\\ help\n# TYPE b_total counter\nb_total{x=\"1\"} 1\nb_total{x=\"2\"} 2\n")
    }

    /// The checker itself rejects what it should (a test that cannot fail proves nothing).
    @Test(arguments: [
        ("# HELP x_total h\n# TYPE x_total counter\nx_total -1\n", "negative counter"),
        ("# HELP x h\n# TYPE x counter\nx 1\n", "not named _total"),
        ("# TYPE x gauge\nx 1\n", "no HELP"),
        ("x 1\n", "before its family's TYPE"),
        ("# HELP x h\n# TYPE x gauge\nx{a=\"1\" 1\n", "not `name{labels} value`"),
        ("# HELP x h\n# TYPE x gauge\nx 1 1700000000\n", "not `name{labels} value`"),
        ("# HELP x h\n# TYPE x gauge\nx 1\nx 2\n", "twice"),
        ("# HELP x h\n# TYPE x gauge\n# HELP y h\n# TYPE y gauge\ny 1\nx 1\n", "away from its family"),
        ("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", "not cumulative"),
        ("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "+Inf bucket != _count"),
        ("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "no +Inf bucket last"),
    ])
    func checkerRejectsBrokenExpositions(text: String, problem: String) {
        let checker = ExpositionChecker(text)
        #expect(checker.problems.contains { $0.contains(problem) }, "\(checker.problems)")
    }

    @Test func everyExportedFamilyIsCataloguedAndDocumented() throws {
        let counters = MQTTBridge.Counters(queued: 0, dropped: 0, droppedQoS1: 0, sent: 0, connections: 0, connected: false,
                                           published: [:])
        let metrics = DaemonMetrics(mqtt: { counters })
        var full = snapshot(frames: 1, windows: 1, falls: 0)
        full.newLatencies = [0.01]
        metrics.update(full)
        let checker = ExpositionChecker(metrics.exposition())
        let catalogue = Dictionary(uniqueKeysWithValues: MetricsCatalogue.entries.map { ($0.name, $0) })
        #expect(Set(checker.types.keys) == Set(catalogue.keys), "exported and catalogued families differ")
        for (name, type) in checker.types { #expect(catalogue[name]?.type == type, "\(name): \(type)") }
        for sample in checker.samples {
            let family = catalogue.keys.first { sample.name == $0 || sample.name.hasPrefix($0 + "_") && catalogue[$0]?.type == "histogram" }
            let labels = Set(sample.labels.keys).subtracting(["le"])
            #expect(family.map { Set(catalogue[$0]!.labels) == labels } == true, "\(sample.name) \(labels)")
        }
        let docs = try String(contentsOfFile: repositoryRoot + "/docs/metrics.md", encoding: .utf8)
        for name in catalogue.keys { #expect(docs.contains("`\(name)`"), "docs/metrics.md does not list \(name)") }
    }
}
