import CSICapture
import CSIEvents
import CSIFeatures
import Foundation
import Testing
@testable import CSIDaemon

/// A classifier that declares the requirements a test gives it (answers like ``AntennaClassifier``).
final class RequirementsClassifier: WindowClassifier, @unchecked Sendable {
    let labels = ["walk", "sit down", "idle"]
    let steps = 10
    let features = 90
    let sampleRateHz = 10.0
    let name: String
    let requirements: ModelRequirements
    private(set) var windows = 0

    init(name: String, input: [String: Any]) throws {
        self.name = name
        requirements = try ModelRequirements(input: input)
    }

    func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int, into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        self.windows += batch
        for b in 0..<batch { for c in 0..<3 { probabilities[b * 3 + c] = c == 2 ? 0.9 : 0.05 } }
    }
}

/// Per-stream routing and grouping in the pipeline core: no sockets, no threads.
@Suite struct ModelRoutingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
    nonisolated(unsafe) static let doppler: [String: Any] = ["transform": "csi-ratio-doppler", "layout": "doppler-32",
                                         "doppler": ["rate_hz": 250, "fft": 64, "hop": 25, "bins": 32]]
    nonisolated(unsafe) static let amplitude: [String: Any] = ["transform": "amplitude-db", "layout": "3x30"]

    private func profile(_ device: String = "intel5300", chains: Int = 3, rate: Double? = 1000) -> StreamProfile {
        StreamProfile(device: device, chains: chains, subcarriers: 30, bandwidthMHz: 20, rateHz: rate)
    }

    private func label(_ decision: ModelRouter.Decision) -> String {
        switch decision {
        case .model(let classifier, let label): return "\(label) \(classifier.name)"
        case .wait: return "wait"
        case .noModel: return "no-model"
        case .rateTooLow: return "rate-too-low"
        }
    }

    @Test func requirementsComeFromTheModelInput() throws {
        let doppler = try ModelRequirements(input: Self.doppler)
        #expect(doppler.minimumChains == 2 && !doppler.exactChains && doppler.minimumRateHz == 200)
        let amplitude = try ModelRequirements(input: Self.amplitude)
        #expect(amplitude.minimumChains == 3 && amplitude.exactChains && amplitude.minimumRateHz == nil)
        var explicit = Self.doppler
        explicit["min_rate_hz"] = 40
        #expect(try ModelRequirements(input: explicit).minimumRateHz == 40)
        let oneChain = try ModelRequirements(input: ["transform": "amplitude-doppler", "layout": "doppler-16", "doppler": ["rate_hz": 20]])
        #expect(oneChain.minimumChains == 1 && oneChain.minimumRateHz == 16)
        #expect(throws: ModelRequirementsError.self) { try ModelRequirements(input: ["transform": "phase-magic", "layout": "x"]) }
        do {
            _ = try ModelRequirements(input: ["transform": "amplitude-db", "layout": "doppler-32"])
            Issue.record("accepted a doppler layout for amplitude-db")
        } catch {
            #expect(error.field == "input.layout")
        }
    }

    @Test func firstMatchingRuleWhoseModelFitsWins() throws {
        let fast = try RequirementsClassifier(name: "fast", input: Self.doppler)
        var slowInput = Self.doppler
        slowInput["min_rate_hz"] = 16
        let slow = try RequirementsClassifier(name: "slow", input: slowInput)
        let amplitude = try RequirementsClassifier(name: "amp", input: Self.amplitude)
        let router = ModelRouter(routes: [
            .init(label: "route[1]", rule: RouteRule(devices: ["esp32"], model: "amp"), classifier: amplitude),
            .init(label: "route[2]", rule: RouteRule(model: "fast"), classifier: fast),
            .init(label: "route[3]", rule: RouteRule(model: "missing"), classifier: nil, skipped: "file missing"),
            .init(label: "route[4]", rule: RouteRule(devices: ["nexmon-4366c0"], model: "slow"), classifier: slow),
            .init(label: "route[5]", rule: RouteRule(chains: 3, minimumRateHz: 5, model: "amp"), classifier: amplitude),
        ])
        #expect(label(router.decide(profile())) == "route[2] fast")
        #expect(label(router.decide(profile(rate: nil))) == "wait", "the first fitting model needs a rate")
        var nexmon = profile("nexmon", rate: 50)
        nexmon.chip = "bcm4366c0"
        #expect(label(router.decide(nexmon)) == "route[4] slow")
        nexmon.chip = "bcm43455c0"
        #expect(label(router.decide(nexmon)) == "route[5] amp", "nexmon-4366c0 does not match another chip")
        #expect(label(router.decide(profile("esp32", chains: 3, rate: 50))) == "route[1] amp")
        #expect(label(router.decide(profile("esp32", chains: 1, rate: 50))) == "no-model")
        #expect(label(router.decide(profile("atheros", chains: 2, rate: 50))) == "rate-too-low")
        guard case .noModel(let message) = router.decide(profile("esp32", chains: 1, rate: 50)) else { return }
        #expect(message.contains("esp32 stream: 1 chain, 30 subcarriers, 20 MHz, 50.0 Hz"), "\(message)")
        #expect(message.contains("route[2] (fast) needs csi-ratio-doppler (doppler-32): >= 2 chains, >= 200 Hz"), "\(message)")
        #expect(message.contains("route[3] missing: skipped (file missing)"), "\(message)")
        #expect(message.contains("needs amplitude-db (3x30): 3 chains"), "\(message)")
    }

    /// The daemon pipeline on a stream slower than its only model needs: one `rate-too-low` once the rate is known.
    @Test func slowStreamGetsOneRateTooLowError() throws {
        let fast = try RequirementsClassifier(name: "fast", input: Self.doppler)
        final class Sink: @unchecked Sendable { var events: [Event] = [] }
        let sink = Sink()
        let pipeline = DaemonPipeline(config: PipelineConfig(), router: .single(fast), monotonic: { 0 }, wallClock: { 0 },
                                      emit: { sink.events.append($0) })
        for index in 0..<250 { pipeline.ingest(syntheticFrame(time: Double(index) / 50, loud: 0), source: "s") }
        let errors = sink.events.compactMap { event -> (String, String)? in
            if case .streamError(let kind, let message) = event.payload { return (kind, message) }
            return nil
        }
        #expect(errors.count == 1)
        #expect(errors.first?.0 == "rate-too-low")
        #expect(errors.first?.1.contains("50.0 Hz") == true && errors.first?.1.contains(">= 200 Hz") == true, "\(errors)")
        // Decided after 2 s of capture time: 101 measurements held, the rest rejected at once.
        #expect(sink.events.first { $0.type == .streamError }?.time == 2)
        #expect(pipeline.counters.framesRejected == 250)
        #expect(fast.windows == 0)
    }

    /// Nexmon cores of one transmitter are one 3-chain stream (as `csihar evaluate` reads them); with
    /// `pipeline.group = "none"` each core is a 1-chain stream of its own.
    @Test(arguments: [StreamGrouping.Mode.transmitter, .none])
    func nexmonCoresBecomeOneThreeChainStream(mode: StreamGrouping.Mode) throws {
        let amplitude = try RequirementsClassifier(name: "amp", input: Self.amplitude)
        var config = PipelineConfig()
        config.grouping.mode = mode
        final class Sink: @unchecked Sendable { var events: [Event] = [] }
        let sink = Sink()
        let pipeline = DaemonPipeline(config: config, router: .single(amplitude), monotonic: { 0 }, wallClock: { 0 },
                                      emit: { sink.events.append($0) })
        let path = Self.root + "/samples/office-nexmon4366c0.pcap"
        let reader = try CaptureFile.open(path: path, options: CaptureOptions(follow: false))
        var frames = 0
        while let frame = try reader.nextFrame() {
            pipeline.ingest(frame, source: "replay:office")
            frames += 1
            if frames == 600 { break }
        }
        pipeline.flush()
        let snapshots = pipeline.streamSnapshots()
        let ups = sink.events.filter { $0.type == .streamUp }.compactMap(\.stream)
        print("\(mode): \(frames) frames -> streams \(ups), routes \(snapshots.map { $0.route ?? "-" })")
        switch mode {
        case .transmitter:
            #expect(ups.count == 1 && ups.allSatisfy { !$0.contains("/core") }, "\(ups)")
            #expect(pipeline.streams.values.first?.profile?.chains == 3)
            #expect(snapshots.first?.model == "amp" && snapshots.first?.route == "model.path")
            #expect(amplitude.windows > 0)
            #expect(!sink.events.contains { $0.type == .streamError })
        case .none:
            #expect(ups.count == 3 && ups.allSatisfy { $0.contains("/core") }, "\(ups)")
            #expect(pipeline.streams.values.allSatisfy { $0.profile?.chains == 1 })
            #expect(sink.events.filter { $0.type == .streamError }.count == 3, "one no-model error per 1-chain core stream")
        }
    }

    @Test func routeConfigErrorsNameTheTableAndKey() {
        let cases: [(String, String)] = [
            ("[[route]]\nmodel = \"a\"\n[[route]]\nchains = 1\n", "x.toml:3: route[2].model: is required"),
            ("[[route]]\ndevice = \"wifi7\"\nmodel = \"a\"\n", "x.toml:2: route[1].device: 'wifi7' is not a device"),
            ("[[route]]\nmodel = \"a\"\nbandwidth_mhz = 30\n", "route[1].bandwidth_mhz: must be 20, 40, 80 or 160"),
            ("[[route]]\nmodel = \"a\"\nspeed = 1\n", "route[1].speed: unknown key"),
            ("[model]\npath = \"m\"\n[[route]]\nmodel = \"a\"\n", "x.toml:2: model.path: give either model.path"),
            ("[[group]]\nname = \"g\"\nsources = [\"pcap:a\"]\n", "group[1].sources: must list at least 2"),
            ("[pipeline]\ngroup = \"cores\"\n", "pipeline.group: 'cores' is not one of"),
        ]
        for (text, expected) in cases {
            do {
                _ = try DaemonConfigFile.parse(text, path: "x.toml")
                Issue.record("accepted \(text.debugDescription)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    @Test func routesAndGroupsAreRead() throws {
        let settings = try DaemonConfigFile.parse("""
            [pipeline]
            group = "none"
            [[route]]
            device = ["nexmon-4366c0", "esp32"]
            chains = 3
            bandwidth_mhz = 20
            min_rate_hz = 40
            model = "a.safetensors"
            [[route]]
            model = "b.safetensors"
            [[group]]
            name = "hall"
            sources = ["pcap:wlan1", "pcap:wlan2"]
            """, path: "x.toml")
        #expect(settings.routes == [RouteRule(devices: ["nexmon-4366c0", "esp32"], chains: 3, bandwidthMHz: 20, minimumRateHz: 40,
                                              model: "a.safetensors"), RouteRule(model: "b.safetensors")])
        #expect(settings.pipeline.grouping == StreamGrouping.Config(mode: .none, boards: [.init(name: "hall", sources: ["pcap:wlan1", "pcap:wlan2"])]))
    }

    /// A route whose model file is missing is skipped with a warning; a file that exists but is unusable names
    /// `route[N].model`.
    @Test func missingRouteModelsAreSkippedWithAWarning() throws {
        var settings = DaemonSettings()
        settings.routes = [RouteRule(model: "/nonexistent/future.safetensors"),
                           RouteRule(model: Self.root + "/models/ut-har-gru.safetensors")]
        var warnings: [String] = []
        let router = try ModelLoader.router(settings: settings) { warnings.append($0) }
        #expect(warnings.count == 1 && warnings[0].contains("route[1].model: /nonexistent/future.safetensors is missing"), "\(warnings)")
        #expect(router.classifiers.count == 1)
        #expect(router.routes.map(\.label) == ["route[1]", "route[2]"])
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(getpid()).safetensors").path
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: bad))
        defer { try? FileManager.default.removeItem(atPath: bad) }
        settings.routes = [RouteRule(model: bad)]
        #expect { _ = try ModelLoader.router(settings: settings) } throws: { "\($0)".hasPrefix("route[1].model: \(bad)") }
    }

    /// The built-in routes with the shipped models: each radio gets the model made for it; a >= 2-chain stream of
    /// 80-199 Hz the 100 Hz model; a stream of >= 40 Hz (under 80 Hz with >= 2 chains) the 50 Hz model of its chain
    /// count, a slower one the 20 Hz model, one under 16 Hz `rate-too-low`.
    @Test func builtInRoutesGiveEachRadioItsModel() throws {
        var settings = DaemonSettings()
        settings.routes = DaemonSettings.defaultRoutes.map { rule in
            var rule = rule
            rule.model = Self.root + "/" + rule.model
            return rule
        }
        guard settings.routes.allSatisfy({ FileManager.default.fileExists(atPath: $0.model) }) else {
            print("SKIPPED builtInRoutesGiveEachRadioItsModel: a shipped model of the built-in routes is missing")
            return
        }
        let router = try ModelLoader.router(settings: settings) { Issue.record("warning: \($0)") }
        var nexmon4366 = profile("nexmon", rate: 49)
        nexmon4366.chip = "bcm4366c0"
        var slowNexmon4366 = profile("nexmon", rate: 25)
        slowNexmon4366.chip = "bcm4366c0"
        let cases: [(StreamProfile, String)] = [
            (profile(rate: 1000), "route[1] csihar-doppler-gru"),
            (profile(rate: 199), "route[2] csihar-2ch100-doppler-gru"),
            (profile("feitcsi", chains: 2, rate: 99.2), "route[2] csihar-2ch100-doppler-gru"),
            (profile("feitcsi", chains: 2, rate: 79), "route[3] csihar-2ch50-doppler-gru"),
            (nexmon4366, "route[3] csihar-2ch50-doppler-gru"),
            (profile("feitcsi", chains: 2, rate: 41), "route[3] csihar-2ch50-doppler-gru"),
            (slowNexmon4366, "route[4] csihar-2ch-doppler-gru"),
            (profile("feitcsi", chains: 2, rate: 39), "route[4] csihar-2ch-doppler-gru"),
            (profile("esp32", chains: 1, rate: 48.3), "route[5] csihar-1ch50-doppler-gru"),
            (profile("nexmon", chains: 1, rate: 200), "route[5] csihar-1ch50-doppler-gru"),
            (profile("nexmon", chains: 1, rate: 19.8), "route[6] csihar-1ch-doppler-gru"),
            (profile("esp32", chains: 1, rate: 39), "route[6] csihar-1ch-doppler-gru"),
            (profile("esp32", chains: 1, rate: 10), "rate-too-low"),
        ]
        for (stream, expected) in cases {
            let got = label(router.decide(stream))
            print("built-in routes: \(stream.device) \(stream.chains) chain(s) at \(stream.rateHz ?? 0) Hz -> \(got)")
            #expect(got == expected || got.hasPrefix(expected + " ("), "\(got)")
        }
    }

    /// The status a subscriber gets names every model and each stream's model.
    @Test func statusShowsEachStreamsModel() throws {
        let amplitude = try RequirementsClassifier(name: "amp-model", input: Self.amplitude)
        let hub = EventHub(queueCapacity: 16)
        let runner = try DaemonRunner(options: DaemonRunner.Options(), router: .single(amplitude), hub: hub, sources: [])
        let status = try #require(try JSONSerialization.jsonObject(with: Data(runner.statusJSON.utf8)) as? [String: Any])
        #expect(status["model"] as? String == "amp-model")
        #expect(status["models"] as? [String] == ["amp-model"])
    }
}
