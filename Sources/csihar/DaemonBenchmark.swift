import CSICapture
import CSIDaemon
import CSIFeatures
import CSIEvents
import Foundation

/// `csihar bench daemon`: the daemon's pipeline core (features, resampling, windows, batched engine, smoothing,
/// events) under generated load: `streams` concurrent streams at `rate` frames/s of capture time each.
///
/// Frames come from a capture file (default: the bundled 1 kHz Intel 5300 sample), replayed for every stream
/// with its own transmitter MAC, its own offset into the recording, a start staggered within one hop, and
/// 1/rate capture-time ticks. The pipeline
/// runs on this thread with OpenBLAS on one thread, exactly as in `csihard`; it is flushed (windows of all
/// streams classified in one batch) every `flushMilliseconds` of capture time.
struct DaemonBenchmark {
    var modelPath: String
    var capturePath: String
    var streams: Int
    var rate: Double
    var seconds: Double
    var warmUpSeconds: Double
    var paced: Bool
    var streamingEngine = true
    var flushMilliseconds: Double = 10
    /// Pipeline workers (streams sharded over threads, as `csihard` with `pipeline.workers`); this thread makes
    /// the frames and hands them over (with 1, it runs the pipeline itself).
    var workers = 1
    /// Every frame gets its own CSI and RSSI arrays, allocated on this thread and freed on a worker, as a capture
    /// reader's frames are; otherwise frames share the arrays of the preloaded capture (no allocation per frame).
    var readerFrames = false

    /// Runs the benchmark and returns its figures.
    func run() throws -> [String: Any] {
        let pool = try Self.loadFrames(capturePath)
        guard !pool.isEmpty else { throw CommandFailure("\(capturePath): no frames") }
        var macs: [[UInt8]] = []
        for index in 0..<streams {
            let high = UInt8(truncatingIfNeeded: index >> 16), middle = UInt8(truncatingIfNeeded: index >> 8)
            macs.append([0x02, 0xC5, 0x1A, high, middle, UInt8(truncatingIfNeeded: index)])
        }
        let loaded = try ModelLoader.load(path: modelPath)
        let classifier: any CSIDaemon.WindowClassifier = streamingEngine ? loaded : BatchOnlyClassifier(loaded)
        let rssBefore = Self.residentBytes()          // frames pool, model and engine buffers already resident
        var config = PipelineConfig()
        config.predictions = false
        config.maxBatch = max(64, streams)
        config.silenceSeconds = 1e9
        let events = EventCount()
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        let pipeline = try ShardedPipeline(config: config, router: .single(classifier), workers: workers, monotonic: clock,
                                           wallClock: { Date().timeIntervalSince1970 }, emit: { _ in events.value += 1 }) {
            $0.wantsPredictions = { false }
        }
        let ticksPerFlush = max(1, Int((flushMilliseconds / 1000 * rate).rounded()))
        let warmUpTicks = Int(warmUpSeconds * rate)
        let totalTicks = warmUpTicks + Int(seconds * rate)
        let offsets = (0..<streams).map { ($0 * 7919) % pool.count }
        // Streams start at staggered ticks across one hop, as independent transmitters do, so their windows do not
        // all fall due on the same tick.
        let hopTicks = Int(config.hopSeconds * rate)
        let startTicks = (0..<streams).map { $0 * hopTicks / streams }
        var measuredStart = clock()
        var windowsAtStart = 0
        var rssAfterWarmUp = rssBefore
        let start = clock()
        for tick in 0..<totalTicks {
            if tick == warmUpTicks {
                pipeline.flush()
                pipeline.synchronize()
                rssAfterWarmUp = Self.residentBytes()
                windowsAtStart = pipeline.counters.windows
                measuredStart = clock()
            }
            if paced {
                let due = start + Double(tick) / rate
                let wait = due - clock()
                if wait > 0 { usleep(UInt32(wait * 1e6)) }
            }
            let time = Double(tick) / rate
            let arrival = clock()
            for stream in 0..<streams where tick >= startTicks[stream] {
                var frame = pool[(offsets[stream] + tick) % pool.count]
                if readerFrames { Self.giveOwnArrays(&frame) }
                frame.timestamp = time
                frame.source = CSISourceID(transmitter: macs[stream])
                frame.sequence = tick & 0xfff
                pipeline.ingest(frame, source: "bench", arrival: arrival)
            }
            if tick % ticksPerFlush == ticksPerFlush - 1 { pipeline.flush() }
        }
        pipeline.finish()
        let elapsed = clock() - measuredStart
        let capture = Double(totalTicks - warmUpTicks) / rate
        let factor = capture / elapsed
        let windows = pipeline.counters.windows - windowsAtStart
        return [
            "streams": streams, "rate_hz": rate, "capture_seconds": capture, "wall_seconds": elapsed,
            "paced": paced, "realtime_factor": factor,
            "sustainable_streams_estimate": paced ? Double(streams) : Double(streams) * factor,
            "frames_per_second": Double(streams) * capture * rate / elapsed,
            "windows_per_second": Double(windows) / elapsed, "events": events.value, "workers": workers,
            "latency_p50_ms": pipeline.latency.percentile(0.5) * 1000,
            "latency_p99_ms": pipeline.latency.percentile(0.99) * 1000,
            "rss_mb": Double(rssAfterWarmUp) / 1e6,
            "rss_per_stream_kb": Double(max(0, rssAfterWarmUp - rssBefore)) / Double(max(1, streams)) / 1e3,
            "model": modelPath, "classifier": classifier.name, "streaming_engine": streamingEngine,
            "reader_frames": readerFrames,
        ]
    }

    /// Replaces the frame's CSI and RSSI arrays with copies of their own (three allocations, as a reader makes).
    static func giveOwnArrays(_ frame: inout CSIFrame) {
        frame.real = frame.real.withUnsafeBufferPointer { [Float]($0) }
        frame.imag = frame.imag.withUnsafeBufferPointer { [Float]($0) }
        frame.rssi = frame.rssi.withUnsafeBufferPointer { [Int]($0) }
    }

    /// Every frame of a capture file.
    static func loadFrames(_ path: String) throws -> [CSIFrame] {
        let reader = try CaptureFile.open(path: path)
        var frames: [CSIFrame] = []
        while let frame = try reader.nextFrame() { frames.append(frame) }
        return frames
    }

    /// Resident set size of this process (bytes), from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Events counted by the emitter (called under its lock, from any worker's thread).
final class EventCount: @unchecked Sendable {
    var value = 0
}

/// Hides a classifier's streaming interface, so the pipeline copies windows and the engine recomputes every
/// window whole (for comparing the two paths).
final class BatchOnlyClassifier: CSIDaemon.WindowClassifier {
    let inner: any CSIDaemon.WindowClassifier
    init(_ inner: any CSIDaemon.WindowClassifier) { self.inner = inner }
    var labels: [String] { inner.labels }
    var steps: Int { inner.steps }
    var features: Int { inner.features }
    var sampleRateHz: Double { inner.sampleRateHz }
    var name: String { inner.name + " [batch path]" }
    var transform: FeatureTransform { inner.transform }
    var requirements: ModelRequirements { inner.requirements }
    func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                  into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        try inner.classify(windows: windows, batch: batch, into: probabilities)
    }
    func replica() throws -> any CSIDaemon.WindowClassifier { BatchOnlyClassifier(try inner.replica()) }
}
