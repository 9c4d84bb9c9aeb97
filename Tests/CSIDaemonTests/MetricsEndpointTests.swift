import CSIDaemon
import Foundation
import Testing

/// The Prometheus endpoint of the real csihard (docs/metrics.md): a replayed sample scraped with a plain HTTP GET
/// is strict text exposition with the frames, the stream's rate and model; `--metrics-listen` overrides
/// `metrics.listen`; a busy port stops startup with one line.
@Suite(.serialized) struct MetricsEndpointTests {
    static let sample = "replay:samples/living-room-intel5300.dat"

    /// Scrapes until `ready` accepts a scrape (or `seconds` pass); returns the last exposition text.
    private static func scrape(port: Int, seconds: Double, until ready: (ExpositionChecker) -> Bool) -> String? {
        let end = Date().addingTimeInterval(seconds)
        var last: String?
        while Date() < end {
            if let response = HTTPTestClient.get(port: port), response.status == 200 {
                last = response.body
                if ready(ExpositionChecker(response.body)) { return last }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return last
    }

    @Test func aScrapeOfAReplayingDaemonIsStrictExpositionWithFramesRateAndModel() async throws {
        guard DaemonProcess.available("aScrapeOfAReplayingDaemonIsStrictExpositionWithFramesRateAndModel") else { return }
        guard FileManager.default.fileExists(atPath: repositoryRoot + "/" + DaemonSettings.defaultModelPath) else {
            print("SKIPPED aScrapeOfAReplayingDaemonIsStrictExpositionWithFramesRateAndModel: \(DaemonSettings.defaultModelPath) is missing")
            return
        }
        let port = HTTPTestClient.freePort()
        var other = HTTPTestClient.freePort()
        while other == port { other = HTTPTestClient.freePort() }
        let configured = other
        let config = try DaemonProbe.temporaryFile("[metrics]\nlisten = \"127.0.0.1:\(configured)\"\n", name: "metrics")
        let socket = temporarySocketPath("metrics")
        let run = try await offPool { () throws -> (first: String?, second: String?, configuredAnswered: Bool,
                                                   exit: Int32?, log: String) in
            let daemon = try DaemonProcess(arguments: ["--config", config, "--source", Self.sample, "--speed", "5", "--loop",
                                                       "--socket", socket, "--metrics-listen", "127.0.0.1:\(port)"],
                                           workingDirectory: repositoryRoot)
            guard waitForSocket(socket) else { return (nil, nil, false, nil, daemon.log) }
            // Ready once the stream is routed, measured and has classified windows.
            let first = Self.scrape(port: port, seconds: 20) { checker in
                (checker.value("csihar_event_latency_seconds_count") ?? 0) > 0
                    && checker.samples.contains { $0.name == "csihar_stream_info" && $0.labels["model"] != "" }
                    && (checker.values("csihar_stream_rate_hz").first ?? 0) > 0
            }
            Thread.sleep(forTimeInterval: 0.6)   // at least one more status refresh
            let second = HTTPTestClient.get(port: port)?.body
            let configuredAnswered = HTTPTestClient.get(port: configured) != nil
            let exit = daemon.terminate().status
            return (first, second, configuredAnswered, exit, daemon.log)
        }
        guard let text = run.first, let second = run.second else {
            Issue.record("no scrape: \(run.log)")
            return
        }
        let checker = ExpositionChecker(text)
        #expect(checker.problems.isEmpty, "\(checker.problems.joined(separator: "\n"))\n\(text)")
        #expect(ExpositionChecker(second).problems.isEmpty)
        let stream = "replay:samples/living-room-intel5300.dat|unknown"
        // Frames, windows, events by type and the latency histogram from a real pipeline.
        let frames = checker.value("csihar_frames_processed_total") ?? 0
        #expect(frames > 0)
        #expect((checker.value("csihar_source_frames_read_total", ["source": Self.sample]) ?? 0) >= frames)
        #expect((checker.value("csihar_windows_total") ?? 0) > 0)
        #expect((checker.value("csihar_events_total", ["type": "stream.up"]) ?? 0) >= 1)
        #expect((checker.value("csihar_event_latency_seconds_count") ?? 0) > 0)
        // Drops, queue depth and worker load: a replay file drops nothing, has no queue, keeps the pipeline busy.
        #expect(checker.value("csihar_source_frames_dropped_total", ["source": Self.sample, "reason": "queue_full"]) == 0)
        #expect(checker.value("csihar_source_queue_frames", ["source": Self.sample]) == 0)
        #expect((checker.value("csihar_pipeline_busy_seconds_total") ?? 0) > 0)
        #expect((checker.value("csihar_pipeline_load_ratio") ?? -1) > 0)
        #expect(checker.value("csihar_subscribers") == 0 && checker.value("csihar_subscriber_dropped_lines_total") == 0)
        // The stream: its rate (5 x the sample's ~250 Hz) and the model and route `status` shows.
        let rate = checker.value("csihar_stream_rate_hz", ["stream": stream]) ?? 0
        #expect(rate > 100 && rate < 50_000, "rate \(rate)")
        let info = checker.samples.first { $0.name == "csihar_stream_info" && $0.labels["stream"] == stream }
        #expect(info?.value == 1)
        #expect(info?.labels["model"]?.hasPrefix("csihar-doppler-gru") == true, "\(String(describing: info))")
        #expect(info?.labels["route"] == "route[1]" && info?.labels["device"] == "intel5300")
        #expect(checker.value("csihar_build_info", ["version": CSIHARVersion.string]) == 1)
        #expect(checker.value("csihar_streams") == 1)
        // Counters only go up between scrapes.
        #expect((ExpositionChecker(second).value("csihar_frames_processed_total") ?? 0) >= frames)
        // The flag overrode metrics.listen: nothing listens on the configured port.
        #expect(!run.configuredAnswered)
        #expect(run.log.contains("metrics: Prometheus endpoint on http://127.0.0.1:\(port)/metrics"), "\(run.log)")
        #expect(run.exit == 0, "\(run.log)")
    }

    @Test func aBusyPortOrABadAddressStopsStartupWithOneLine() async throws {
        guard DaemonProcess.available("aBusyPortOrABadAddressStopsStartupWithOneLine") else { return }
        let port = HTTPTestClient.freePort()
        let busy = HTTPTestClient.listen(port: port)
        defer { close(busy) }
        let socket = temporarySocketPath("metrics-busy")
        let run = try await offPool { () throws -> (exit: Int32?, log: String, flagExit: Int32?, flagLog: String) in
            let daemon = try DaemonProcess(arguments: ["--socket", socket, "--metrics-listen", "127.0.0.1:\(port)"])
            let exit = daemon.waitForExit(seconds: 10)?.status
            let flag = try DaemonProcess(arguments: ["--socket", socket, "--metrics-listen", "127.0.0.1:99999"])
            return (exit, daemon.log, flag.waitForExit(seconds: 10)?.status, flag.log)
        }
        #expect(run.exit != nil && run.exit != 0)
        let last = run.log.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last == "Error: cannot serve metrics on 127.0.0.1:\(port): Address already in use", "\(run.log)")
        #expect(!FileManager.default.fileExists(atPath: socket), "startup stopped before the socket was made")
        #expect(run.flagExit != nil && run.flagExit != 0)
        #expect(run.flagLog.contains("--metrics-listen: '127.0.0.1:99999': the port must be a number within 1...65535"), "\(run.flagLog)")
    }
}
