import CSICapture
import CSIEvents
import CSIFeatures
import Testing
@testable import CSIDaemon

/// The pipeline core without sockets or threads: frames in, events out.
@Suite struct DaemonPipelineTests {
    final class Clock: @unchecked Sendable { var now = 0.0 }

    private func makePipeline(classifier: AntennaClassifier, clock: Clock) -> (DaemonPipeline, () -> [Event]) {
        final class Sink: @unchecked Sendable { var events: [Event] = [] }
        let sink = Sink()
        var config = PipelineConfig()
        config.hopSeconds = 0.2
        config.silenceSeconds = 2
        let pipeline = DaemonPipeline(config: config, classifier: classifier, monotonic: { clock.now },
                                      wallClock: { 1_800_000_000 }, emit: { sink.events.append($0) })
        return (pipeline, { sink.events })
    }

    private func summary(_ events: [Event], stream: String? = nil) -> [String] {
        events.filter { stream == nil || $0.stream == stream }.compactMap { event in
            switch event.payload {
            case .streamUp: return "up"
            case .streamDown(let reason): return "down \(reason)"
            case .activityStarted(let activity, _, _): return "start \(activity)"
            case .activityEnded(let activity, _, _): return "end \(activity)"
            case .fallDetected: return "fall"
            default: return nil
            }
        }
    }

    @Test func twoStreamsGiveTheirActivitiesInSharedBatches() {
        let classifier = AntennaClassifier()
        let clock = Clock()
        let (pipeline, events) = makePipeline(classifier: classifier, clock: clock)
        // 12 s at 100 Hz. Stream 1: walk (antenna 0 loud) then sit down; stream 2: sit down throughout.
        for index in 0..<1200 {
            let time = 100 + Double(index) / 100
            clock.now = Double(index) / 100
            pipeline.ingest(syntheticFrame(time: time, loud: index < 600 ? 0 : 1, mac: 1), source: "test")
            pipeline.ingest(syntheticFrame(time: time, loud: 1, mac: 2), source: "test")
            if index % 10 == 9 { pipeline.flush() }
        }
        pipeline.sourceEnded("test", reason: "source-ended")
        let all = events()
        let first = "test|00:11:22:33:44:01", second = "test|00:11:22:33:44:02"
        #expect(summary(all, stream: first) == ["up", "start walk", "end walk", "start sit down", "end sit down", "down source-ended"])
        #expect(summary(all, stream: second) == ["up", "start sit down", "end sit down", "down source-ended"])
        // seq increases by one per event.
        #expect(all.map(\.seq) == Array(1...UInt64(all.count)))
        // Windows of both streams went through the model together.
        #expect(classifier.batches.contains { $0 >= 2 })
        // The walk -> sit down switch is placed near 6 s of capture time (106 s).
        let switchTime = all.first { if case .activityStarted("sit down", _, _) = $0.payload, $0.stream == first { return true }; return false }?.time ?? 0
        print("walk->sit down decided at capture time \(switchTime) (true change 106.0; 1 s windows + 1 s averaging + 0.6 s minimum)")
        #expect(switchTime > 106 && switchTime <= 108.5)
        #expect(pipeline.counters.windows > 100)
    }

    @Test func silentStreamGoesDownAndComesBackUp() {
        let classifier = AntennaClassifier()
        let clock = Clock()
        let (pipeline, events) = makePipeline(classifier: classifier, clock: clock)
        for index in 0..<300 {
            clock.now = Double(index) / 100
            pipeline.ingest(syntheticFrame(time: Double(index) / 100, loud: 0), source: "live")
        }
        pipeline.flush()
        clock.now = 3.5
        pipeline.expireSilentStreams()
        #expect(pipeline.streamCount == 1)
        clock.now = 5.5
        pipeline.expireSilentStreams()
        #expect(pipeline.streamCount == 0)
        pipeline.ingest(syntheticFrame(time: 10, loud: 0), source: "live")
        #expect(summary(events()) == ["up", "start walk", "end walk", "down silence", "up"])
    }

    /// A replayed file the reader held back for a backed-up worker was not silent: its streams stay up (and keep
    /// their smoother) through the hold, a live stream silent as long does not, and a replay still expires once it
    /// is silent while read.
    @Test func heldBackReplayIsNotSilence() {
        let classifier = AntennaClassifier()
        let clock = Clock()
        let (pipeline, events) = makePipeline(classifier: classifier, clock: clock)   // silence_seconds 2
        for index in 0..<300 {
            clock.now = Double(index) / 100
            pipeline.ingest(syntheticFrame(time: Double(index) / 100, loud: 0, mac: 1), source: "file", live: false)
            pipeline.ingest(syntheticFrame(time: Double(index) / 100, loud: 0, mac: 2), source: "radio", live: true)
        }
        pipeline.flush()
        let replay = "file|00:11:22:33:44:01", live = "radio|00:11:22:33:44:02"
        clock.now = 8                                          // 5 s without a frame of either, replays held back
        pipeline.expireSilentStreams(replaysHeld: true)
        #expect(summary(events(), stream: replay).last == "start walk")
        #expect(summary(events(), stream: live).last == "down silence")
        clock.now = 9.5                                        // read again, 1.5 s without a frame: not yet
        pipeline.expireSilentStreams()
        #expect(pipeline.streamCount == 1)
        clock.now = 10.5                                       // 2.5 s silent while read
        pipeline.expireSilentStreams()
        #expect(pipeline.streamCount == 0)
        #expect(summary(events(), stream: replay) == ["up", "start walk", "end walk", "down silence"])
    }

    @Test func predictionsOnlyWhenWanted() {
        let classifier = AntennaClassifier()
        let clock = Clock()
        let (pipeline, events) = makePipeline(classifier: classifier, clock: clock)
        pipeline.wantsPredictions = { false }
        for index in 0..<200 { pipeline.ingest(syntheticFrame(time: Double(index) / 100, loud: 0), source: "s") }
        pipeline.flush()
        #expect(!events().contains { $0.type == .prediction })
        pipeline.wantsPredictions = { true }
        for index in 200..<300 { pipeline.ingest(syntheticFrame(time: Double(index) / 100, loud: 0), source: "s") }
        pipeline.flush()
        let predictions = events().filter { $0.type == .prediction }
        #expect(predictions.count == 5)
        if case .prediction(let labels, let probabilities, _) = predictions.first?.payload {
            #expect(labels == classifier.labels)
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test func badFrameIsReportedAndTheStreamGoesOn() {
        let classifier = AntennaClassifier()
        let clock = Clock()
        let (pipeline, events) = makePipeline(classifier: classifier, clock: clock)
        pipeline.ingest(syntheticFrame(time: 0, loud: 0), source: "s")
        let bad = CSIFrame(timestamp: 0.01, device: .simulated, source: CSISourceID(transmitter: [0, 0x11, 0x22, 0x33, 0x44, 1]),
                           ntx: 1, nrx: 3, subcarriers: [1, 2, 3], real: [Float](repeating: 1, count: 9), imag: [Float](repeating: 0, count: 9))
        pipeline.ingest(bad, source: "s")
        for index in 2..<200 { pipeline.ingest(syntheticFrame(time: Double(index) / 100, loud: 0), source: "s") }
        pipeline.flush()
        #expect(events().contains { $0.type == .streamError })
        #expect(pipeline.counters.recordIssues == 1)
        #expect(pipeline.counters.windows > 0)
    }

    @Test func streamThatNoModelFitsGetsOneNoModelError() {
        let classifier = AntennaClassifier()
        let (pipeline, events) = makePipeline(classifier: classifier, clock: Clock())
        final class Log: @unchecked Sendable { var lines: [String] = [] }
        let log = Log()
        pipeline.warn = { log.lines.append($0) }
        let subcarriers = FeatureLayout.intelSubcarriers20MHz
        for index in 0..<100 {
            let oneAntenna = CSIFrame(timestamp: Double(index) / 100, device: .esp32,
                                      source: CSISourceID(transmitter: [0, 1, 2, 3, 4, 5]), ntx: 1, nrx: 1,
                                      subcarriers: subcarriers, real: [Float](repeating: 1, count: subcarriers.count),
                                      imag: [Float](repeating: 0, count: subcarriers.count))
            pipeline.ingest(oneAntenna, source: "s")
        }
        let errors = events().compactMap { event -> (String, String)? in
            if case .streamError(let kind, let message) = event.payload { return (kind, message) }
            return nil
        }
        print("one-antenna stream: \(errors.count) stream.error event(s) for 100 frames; \(errors.first.map { "\($0)" } ?? "")")
        #expect(errors.count == 1)
        #expect(errors.first?.0 == "no-model")
        let message = errors.first?.1 ?? ""
        #expect(message.contains("esp32 stream: 1 chain, 30 subcarriers, 20 MHz"), "\(message)")
        #expect(message.contains("needs amplitude-db (3x30): 3 chains"), "\(message)")
        #expect(log.lines.count == 1 && log.lines.first?.contains("cannot be classified (no-model)") == true, "one warning: \(log.lines)")
        #expect(pipeline.counters.framesRejected == 100)
        #expect(pipeline.streamSnapshots().first?.route == "no-model")
        #expect(pipeline.streamSnapshots().first?.model == nil)
    }

    @Test func reloadSwapsTheModelAndRestartsWindows() {
        let classifier = AntennaClassifier()
        let clock = Clock()
        let (pipeline, events) = makePipeline(classifier: classifier, clock: clock)
        for index in 0..<300 { pipeline.ingest(syntheticFrame(time: Double(index) / 100, loud: 0), source: "s") }
        pipeline.flush()
        let replacement = AntennaClassifier(steps: 25, sampleRateHz: 25)
        pipeline.replace(classifier: replacement, config: pipeline.config)
        for index in 300..<600 { pipeline.ingest(syntheticFrame(time: Double(index) / 100, loud: 0), source: "s") }
        pipeline.flush()
        #expect(!replacement.batches.isEmpty)
        #expect(summary(events()) == ["up", "start walk", "end walk", "start walk"])
    }
}
