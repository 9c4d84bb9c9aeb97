import CSICapture
import CSIDaemon
import CSIEvents
import CSITestSupport
import Foundation
import NIOConcurrencyHelpers
import Testing

/// Pipeline workers (``ShardedPipeline``): streams sharded over threads give every stream the same windows,
/// probabilities and events as one worker, in order, with one increasing `seq` across workers and counters that
/// add up; requests reach the worker of their stream.
struct ShardedPipelineTests {
    /// Events in the order the emitter handed them on (from any worker's thread).
    final class Collected: @unchecked Sendable {
        let events = NIOLockedValueBox<[Event]>([])
    }

    /// 8 streams of the bundled sample (each its own transmitter and offset into the recording) through
    /// `workers` workers with a shipped model; flushed every 5 frame ticks, as the daemon flushes each burst.
    func run(workers: Int, frames: [CSIFrame], store: CalibrationStore? = nil,
             between: ((ShardedPipeline) -> Void)? = nil) throws -> (events: [Event], pipeline: ShardedPipeline) {
        let model = SharedData.repositoryRoot().appendingPathComponent("models/ut-har-gru.safetensors").path
        var config = PipelineConfig()
        config.maxBatch = 8
        let collected = Collected()
        let pipeline = try ShardedPipeline(config: config, router: .single(try ModelClassifier(path: model, maxBatch: 8)),
                                           workers: workers, monotonic: { 0 }, wallClock: { 0 },
                                           emit: { event in collected.events.withLockedValue { $0.append(event) } }) {
            $0.calibrationStore = store
        }
        for (index, frame) in frames.enumerated() {
            for stream in 0..<8 {
                var copy = frames[(index + 131 * stream) % frames.count]
                copy.timestamp = frame.timestamp
                copy.source = CSISourceID(transmitter: [2, 0, 0, 0, 0, UInt8(stream)])
                pipeline.ingest(copy, source: "test", arrival: 0)
            }
            if index % 5 == 4 { pipeline.flush() }
            if index == frames.count / 2, let between {
                pipeline.flush()
                pipeline.synchronize()
                between(pipeline)
            }
        }
        pipeline.sourceEnded("test", reason: "end")
        pipeline.finish()
        return (collected.events.withLockedValue { $0 }, pipeline)
    }

    func sampleFrames(_ count: Int) throws -> [CSIFrame] {
        let path = SharedData.repositoryRoot().appendingPathComponent("samples/living-room-intel5300.dat").path
        let reader = try CaptureFile.open(path: path)
        var frames: [CSIFrame] = []
        while let frame = try reader.nextFrame(), frames.count < count { frames.append(frame) }
        return frames
    }

    @Test func threeWorkersGiveEveryStreamTheEventsOfOne() throws {
        let frames = try sampleFrames(1500)
        let (one, single) = try run(workers: 1, frames: frames)
        let (three, sharded) = try run(workers: 3, frames: frames)
        // One sequence across the workers, increasing in the order subscribers see the events.
        #expect(three.map(\.seq) == Array(1...UInt64(three.count)))
        #expect(one.count == three.count)
        var maxdiff: Float = 0, windows = 0
        let keys = Set(one.compactMap(\.stream))
        #expect(keys.count == 8)
        for key in keys {
            let a = one.filter { $0.stream == key }, b = three.filter { $0.stream == key }
            #expect(a.map(\.type) == b.map(\.type), "stream \(key)")
            for (x, y) in zip(a, b) {
                #expect(x.time == y.time)
                switch (x.payload, y.payload) {
                case let (.prediction(_, p, m), .prediction(_, q, n)):
                    windows += 1
                    #expect(m == n)
                    maxdiff = max(maxdiff, zip(p, q).map { abs($0 - $1) }.max() ?? 0)
                case let (.activityStarted(u, _, s), .activityStarted(v, _, t)):
                    #expect(u == v && s == t)
                case let (.activityEnded(u, _, d), .activityEnded(v, _, e)):
                    #expect(u == v && d == e)
                case let (.fallDetected(_, s), .fallDetected(_, t)):
                    #expect(s == t)
                default:
                    #expect(x.type == y.type)
                }
            }
        }
        print("1 vs 3 workers: \(keys.count) streams, \(windows) windows, probability maxdiff \(maxdiff), "
              + "events \(one.count) vs \(three.count)")
        #expect(windows > 100)
        #expect(maxdiff <= 1e-5)
        // The summed figures are the single worker's.
        let a = single.counters, b = sharded.counters
        #expect(a.frames == 8 * frames.count && b.frames == a.frames)
        #expect(a.windows == b.windows && a.events == b.events && a.streams == 0 && b.streams == 0)
        #expect(single.eventsByType == sharded.eventsByType)
    }

    /// One straight frame path: with the default slack, room is made before each measurement, so no batch is ever
    /// classified from inside a feature callback (with batches of 8 and 8 streams the lane fills every few frames).
    @Test func ingestNeverClassifiesFromInsideAFeatureCallback() throws {
        let model = SharedData.repositoryRoot().appendingPathComponent("models/ut-har-gru.safetensors").path
        var config = PipelineConfig()
        config.maxBatch = 8
        var windows = 0
        let pipeline = DaemonPipeline(config: config, classifier: try ModelClassifier(path: model, maxBatch: 8),
                                      monotonic: { 0 }, wallClock: { 0 }, emit: { if $0.type == .prediction { windows += 1 } })
        let frames = try sampleFrames(1500)
        for (index, frame) in frames.enumerated() {
            for stream in 0..<8 {
                var copy = frames[(index + 131 * stream) % frames.count]
                copy.timestamp = frame.timestamp + (index > 900 ? 0.45 : 0)     // one 0.45 s gap: many steps at once
                copy.source = CSISourceID(transmitter: [2, 0, 0, 0, 0, UInt8(stream)])
                pipeline.ingest(copy, source: "test", arrival: 0)
            }
            if index % 50 == 49 { pipeline.flush() }
        }
        pipeline.sourceEnded("test", reason: "end")
        print("8 streams, batches of 8: \(windows) windows, \(pipeline.callbackFlushes) batches classified from a callback")
        #expect(windows > 100)
        #expect(pipeline.callbackFlushes == 0)
    }

    /// A streaming classifier that does not say how to replicate itself (its slots would be shared by workers).
    final class UnreplicableStreaming: StreamingWindowClassifier {
        let labels = ["walk", "idle"], steps = 10, features = 90, sampleRateHz = 50.0, slack = 10
        let name = "unreplicable-test-classifier"
        func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                      into probabilities: UnsafeMutableBufferPointer<Float>) throws {}
        func openStream() -> Int { 0 }
        func closeStream(_ slot: Int) {}
        func append(step: UnsafeBufferPointer<Float>, to slot: Int) {}
        func position(of slot: Int) -> Int { 0 }
        func classify(slots: UnsafeBufferPointer<Int>, ends: UnsafeBufferPointer<Int>,
                      into probabilities: UnsafeMutableBufferPointer<Float>) throws {}
    }

    @Test func aStreamingClassifierWithoutItsOwnReplicaIsRefusedForSeveralWorkers() throws {
        let classifier = UnreplicableStreaming()
        do {
            _ = try ShardedPipeline(config: PipelineConfig(), router: .single(classifier), workers: 2, monotonic: { 0 },
                                    wallClock: { 0 }, emit: { _ in })
            Issue.record("two workers were given one streaming classifier's per-stream state")
        } catch {
            print("refused: \(error)")
            #expect("\(error)".contains("unreplicable-test-classifier") && "\(error)".contains("replica"))
        }
        // One worker needs no replica.
        let single = try ShardedPipeline(config: PipelineConfig(), router: .single(classifier), workers: 1,
                                         monotonic: { 0 }, wallClock: { 0 }, emit: { _ in })
        single.finish()
    }

    /// A classifier that only has a name to tell it apart (the models after a reload).
    final class NamedClassifier: WindowClassifier {
        let labels = ["idle", "walk"], steps = 50, features = 90, sampleRateHz = 50.0
        let name = "reloaded-test-classifier"
        func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                      into probabilities: UnsafeMutableBufferPointer<Float>) throws {
            for index in 0..<(batch * labels.count) { probabilities[index] = index % 2 == 0 ? 0.9 : 0.1 }
        }
    }

    @Test func theReloadedModelsAreNamedOnceEveryWorkerRunsThem() throws {
        let gated = GatedClassifier()
        let pipeline = try ShardedPipeline(config: PipelineConfig(), router: .single(gated), workers: 2,
                                           monotonic: { 0 }, wallClock: { 0 }, emit: { _ in })
        defer { pipeline.finish() }
        // 8 streams, so both workers get some; their first windows hold the workers in the gated classifier.
        let frames = try sampleFrames(1500)
        for frame in frames {
            for stream in 0..<8 {
                var copy = frame
                copy.source = CSISourceID(transmitter: [2, 0, 0, 0, 0, UInt8(stream)])
                pipeline.ingest(copy, source: "test", arrival: 0)
            }
        }
        pipeline.flush()
        try pipeline.replace(router: .single(NamedClassifier()), config: PipelineConfig())
        let during = pipeline.router.classifiers.map(\.name)
        #expect(during == ["gated-test-classifier"], "a held worker has not switched yet: \(during)")
        gated.open()
        pipeline.synchronize()
        let after = pipeline.router.classifiers.map(\.name)
        print("models named while a worker was held: \(during); after every worker switched: \(after)")
        #expect(after == ["reloaded-test-classifier"])
    }

    @Test func aBackedUpWorkerShedsItsOwnOldestLiveFramesAndNothingElse() throws {
        let gated = GatedClassifier()
        let pipeline = try ShardedPipeline(config: PipelineConfig(), router: .single(gated), workers: 2,
                                           monotonic: { 0 }, wallClock: { 0 }, emit: { _ in })
        defer { pipeline.finish() }
        let live = "pcap:test0", replay = "replay:test.dat"
        func worker(_ mac: UInt8, _ source: String) -> Int {
            pipeline.worker(of: syntheticFrame(time: 0, loud: 0, mac: mac), source: source)
        }
        let macs = (1...255).map(UInt8.init)
        let held = try #require(macs.first { worker($0, live) == 0 })
        let replayed = try #require(macs.first { worker($0, replay) == 0 })
        let others = Array(macs.filter { worker($0, live) == 1 }.prefix(20))
        // Worker 0: a live stream whose first window holds it in the gated classifier, then a flood; a replayed
        // stream on the same worker. Worker 1: 20 live streams of 0.3 s each (no window, nothing to hold it).
        var sent: [String: Int] = [:]
        func feed(_ mac: UInt8, _ source: String, _ index: Int) {
            pipeline.ingest(syntheticFrame(time: Double(index) * 0.01, loud: index % 2, mac: mac), source: source,
                            arrival: 0, live: source == live)
            sent[source + "|" + String(mac), default: 0] += 1
        }
        for index in 0..<300 { feed(held, live, index) }
        pipeline.flush()
        for index in 300..<20_300 {
            feed(held, live, index)
            if index % 8 == 0 { feed(replayed, replay, index / 8) }
            if index % 200 == 0 { for (n, mac) in others.enumerated() where index / 200 < 30 + n { feed(mac, live, index / 200) } }
            if index % 256 == 0 { pipeline.flush() }
        }
        let shedWhileHeld = pipeline.framesShed
        gated.open()
        pipeline.flush()
        pipeline.synchronize()
        let counters = pipeline.counters
        let total = sent.values.reduce(0, +)
        print("sent \(total) frames (\(sent[live + "|" + String(held)] ?? 0) on the held live stream); shed \(shedWhileHeld) "
              + "while worker 0 was held; processed \(counters.frames); frames_dropped \(counters.framesDropped)")
        #expect(shedWhileHeld > 0, "the held worker shed its oldest live frames")
        #expect(shedWhileHeld <= (sent[live + "|" + String(held)] ?? 0), "only the held live stream's frames were shed")
        #expect(counters.frames + pipeline.framesShed == total, "every frame is processed or counted as shed")
        #expect(counters.framesDropped == pipeline.framesShed)
        #expect(pipeline.framesShedBySource == [live: pipeline.framesShed], "shed frames are the live source's")
        // The replayed stream on the held worker and every stream of the other worker lost nothing.
        let frames = Dictionary(pipeline.streamSnapshots().map { ($0.key, $0.frames) }, uniquingKeysWith: +)
        for (mac, source) in [(replayed, replay)] + others.map({ ($0, live) }) {
            let key = try #require(frames.keys.first { $0.hasPrefix(source + "|") && $0.hasSuffix(String(format: "%02x", mac)) })
            #expect(frames[key] == sent[source + "|" + String(mac)], "\(key)")
        }
    }

    @Test func streamsAreSpreadOverTheWorkersByKey() throws {
        let pipeline = try ShardedPipeline(config: PipelineConfig(), router: .single(nil), workers: 4, monotonic: { 0 },
                                           wallClock: { 0 }, emit: { _ in })
        defer { pipeline.finish() }
        let keys = (0..<64).map { "pcap:wlan0|02:00:00:00:00:\(String(format: "%02x", $0))" }
        let used = Set(keys.map { pipeline.worker(ofStream: $0) })
        #expect(used == [0, 1, 2, 3])
        #expect(keys.map { pipeline.worker(ofStream: $0) } == keys.map { pipeline.worker(ofStream: $0) })
    }

    @Test func calibrationRequestsReachTheWorkerOfTheirStream() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sharded-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = CalibrationStore(stateDirectory: directory.path)
        let replies = NIOLockedValueBox<[String]>([])
        let frames = try sampleFrames(400)
        _ = try run(workers: 3, frames: frames, store: store) { pipeline in
            #expect(pipeline.streamCount == 8)
            let semaphore = DispatchSemaphore(value: 0)
            // A stream on every worker: each reset is answered by the worker that holds the stream.
            for stream in 0..<8 {
                let key = "test|02:00:00:00:00:0\(stream)"
                pipeline.calibrate(.reset(stream: key, part: .all)) { line in
                    replies.withLockedValue { $0.append(line) }
                    semaphore.signal()
                }
            }
            pipeline.calibrate(.reset(stream: "test|nobody", part: .all)) { line in
                replies.withLockedValue { $0.append(line) }
                semaphore.signal()
            }
            for _ in 0..<9 { semaphore.wait() }
        }
        let lines = replies.withLockedValue { $0 }
        #expect(lines.filter { $0.contains("\"status\":\"reset\"") }.count == 8)
        // The unknown stream's error names the streams of every worker, not only those of the worker asked.
        let error = try #require(lines.first { $0.contains("unknown stream") })
        for stream in 0..<8 { #expect(error.contains("test|02:00:00:00:00:0\(stream)"), "\(error)") }
    }
}
