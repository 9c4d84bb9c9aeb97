import ArgumentParser
import CSIEvents
import CSIInference
import Foundation

/// `csihar bench`: throughput of the engine and of the machine's sgemm, for BENCHMARKS.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the inference engine (windows/s) and the OpenBLAS sgemm peak (GFLOP/s).",
        subcommands: [Engine.self, Sgemm.self, Daemon.self])

    /// `csihar bench engine`.
    struct Engine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Windows per second of a model at a batch size (or of the streaming path with --stream).")

        @Option(name: .long, help: "Model file (.safetensors).")
        var model: String

        @Option(name: .long, help: "Windows per engine call (streams with --stream).")
        var batch = 1

        @Option(name: .long, help: "Seconds to measure after a warm-up.")
        var seconds = 3.0

        @Option(name: .long, help: "OpenBLAS threads.")
        var threads = 1

        @Flag(name: .long, help: "Measure the streaming path: --batch streams, --hop new frames per window.")
        var stream = false

        @Option(name: .long, help: "Frames between windows of a stream (with --stream).")
        var hop = 25

        @Flag(name: .long, help: "Print one JSON object instead of the text lines.")
        var json = false

        func run() async throws {
            guard batch >= 1, seconds > 0, threads >= 1, hop >= 1 else {
                throw ValidationError("--batch, --seconds, --threads and --hop must be positive")
            }
            EngineBenchmark.setThreads(threads)
            let loaded = try CSIModel.load(path: model)
            let result = stream
                ? EngineBenchmark.streaming(model: loaded, streams: batch, hop: hop, seconds: seconds)
                : EngineBenchmark.batch(model: loaded, batch: batch, seconds: seconds)
            var object = result
            object["model"] = model
            object["architecture"] = loaded.config.architecture.rawValue
            object["batch"] = batch
            object["threads"] = threads
            object["mflop_per_window"] = loaded.flopsPerWindow / 1e6
            object["kernel"] = BLASKernel.name
            object["recurrent_kernel"] = BLASKernel.recurrentKernel
            if stream { object["hop"] = hop }
            if json {
                print(try JSONLine.string(object))
            } else {
                for key in object.keys.sorted() { print("\(key): \(object[key] ?? "")") }
            }
        }
    }

    /// `csihar bench daemon`.
    struct Daemon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The daemon pipeline under generated load: concurrent streams at a frame rate.",
            discussion: """
                Unpaced (default): frames go in as fast as the pipeline takes them; realtime_factor = capture \
                seconds per wall second, so streams x realtime_factor streams run in real time. --paced: frames \
                arrive on the wall clock at --rate, and latency_p50_ms / latency_p99_ms are the frame-to-event \
                latencies (last frame of a window in -> its window classified and smoothed).
                """)

        @Option(name: .long, help: "Model file (.safetensors).")
        var model = "models/ut-har-gru.safetensors"

        @Option(name: .long, help: "Capture whose frames are replayed for every stream.")
        var capture = "samples/fall-1khz-intel5300.dat"

        @Option(name: .long, help: "Concurrent streams.")
        var streams = 100

        @Option(name: .long, help: "Frames per second per stream (capture time).")
        var rate = 1000.0

        @Option(name: .long, help: "Capture seconds measured (after the warm-up).")
        var seconds = 5.0

        @Option(name: .long, help: "Capture seconds before measuring (windows fill).")
        var warmUp = 1.5

        @Flag(name: .long, help: "Pace frames on the wall clock (for latency).")
        var paced = false

        @Flag(name: .long, help: "Copy windows and recompute them whole (the engine's batch path) instead of the streaming path.")
        var batchPath = false

        @Option(name: .long, help: "OpenBLAS threads.")
        var threads = 1

        @Option(name: .long, help: "Pipeline workers: streams sharded over this many threads, as csihard's pipeline.workers (1: the pipeline runs on the thread that makes the frames).")
        var workers = 1

        @Flag(name: .long, help: "Give every generated frame its own CSI and RSSI arrays, as a capture reader makes them (default: frames share the arrays of the preloaded capture).")
        var readerFrames = false

        @Flag(name: .long, help: "Print one JSON object instead of the text lines.")
        var json = false

        func run() async throws {
            guard streams >= 1, rate > 0, seconds > 0, warmUp >= 0, threads >= 1, workers >= 1 else {
                throw ValidationError("--streams, --rate, --seconds, --threads, --workers must be positive")
            }
            EngineBenchmark.setThreads(threads)
            let benchmark = DaemonBenchmark(modelPath: model, capturePath: capture, streams: streams, rate: rate,
                                            seconds: seconds, warmUpSeconds: warmUp, paced: paced,
                                            streamingEngine: !batchPath, workers: workers, readerFrames: readerFrames)
            var object = try benchmark.run()
            object["threads"] = threads
            object["kernel"] = BLASKernel.name
            object["recurrent_kernel"] = BLASKernel.recurrentKernel
            if json {
                print(try JSONLine.string(object))
            } else {
                for key in object.keys.sorted() { print("\(key): \(object[key] ?? "")") }
            }
        }
    }

    /// `csihar bench sgemm`.
    struct Sgemm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "OpenBLAS sgemm GFLOP/s on square matrices.")

        @Option(name: .long, help: "Matrix size.")
        var size = 1024

        @Option(name: .long, help: "Seconds to measure.")
        var seconds = 2.0

        @Option(name: .long, help: "OpenBLAS threads.")
        var threads = 1

        @Flag(name: .long, help: "Print one JSON object instead of the text lines.")
        var json = false

        func run() async throws {
            guard size >= 1, seconds > 0, threads >= 1 else { throw ValidationError("options must be positive") }
            EngineBenchmark.setThreads(threads)
            let gflops = EngineBenchmark.sgemm(size: size, seconds: seconds)
            let object: [String: Any] = ["gflops": gflops, "size": size, "threads": threads, "kernel": BLASKernel.name]
            if json {
                print(try JSONLine.string(object))
            } else {
                print("sgemm \(size)x\(size)x\(size), \(threads) thread(s), OpenBLAS kernel \(BLASKernel.name): "
                      + "\(String(format: "%.1f", gflops)) GFLOP/s")
            }
        }
    }
}
