import ArgumentParser
import CSIInference
import Foundation

/// `csihar bench`: throughput of the engine and of the machine's sgemm, for BENCHMARKS.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the inference engine (windows/s) and the OpenBLAS sgemm peak (GFLOP/s).",
        subcommands: [Engine.self, Sgemm.self])

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

        @Flag(name: .long, help: "Print one JSON object as the last line.")
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
            if stream { object["hop"] = hop }
            if !json {
                for key in object.keys.sorted() { print("\(key): \(object[key] ?? "")") }
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
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

        @Flag(name: .long, help: "Print one JSON object as the last line.")
        var json = false

        func run() async throws {
            guard size >= 1, seconds > 0, threads >= 1 else { throw ValidationError("options must be positive") }
            EngineBenchmark.setThreads(threads)
            let gflops = EngineBenchmark.sgemm(size: size, seconds: seconds)
            let object: [String: Any] = ["gflops": gflops, "size": size, "threads": threads]
            if !json { print("sgemm \(size)x\(size)x\(size), \(threads) thread(s): \(String(format: "%.1f", gflops)) GFLOP/s") }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
