import COpenBLAS
import Foundation

/// Timed loops behind `csihar bench`: windows per second of a session and sgemm GFLOP/s.
public enum EngineBenchmark {
    /// Sets the OpenBLAS thread count.
    public static func setThreads(_ threads: Int) {
        LinearAlgebra.setThreads(threads)
    }

    /// Seconds on a monotonic clock.
    static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    /// Runs `body` (which returns work units done) for a warm-up then `seconds`; returns units per second.
    static func measure(seconds: Double, _ body: () -> Int) -> (perSecond: Double, elapsed: Double, units: Int) {
        let warmUpEnd = now() + min(0.5, seconds / 4)
        while now() < warmUpEnd { _ = body() }
        let start = now()
        var units = 0
        var elapsed = 0.0
        repeat {
            units += body()
            elapsed = now() - start
        } while elapsed < seconds
        return (Double(units) / elapsed, elapsed, units)
    }

    /// Windows per second of ``InferenceSession`` on `batch` random windows per call.
    public static func batch(model: CSIModel, batch: Int, seconds: Double) -> [String: Any] {
        let config = model.config
        let session = InferenceSession(model: model, maxBatch: batch)
        var generator = SystemRandomNumberGenerator()
        let windows = (0..<(batch * config.steps * config.features)).map { _ in Float.random(in: 0..<1, using: &generator) }
        var logits = [Float](repeating: 0, count: batch * config.classes)
        let result = windows.withUnsafeBufferPointer { input in
            logits.withUnsafeMutableBufferPointer { output in
                measure(seconds: seconds) {
                    session.logits(windows: input, batch: batch, into: output)
                    return batch
                }
            }
        }
        return ["windows_per_second": result.perSecond,
                "ms_per_call": 1000 * result.elapsed / Double(max(1, result.units / batch)),
                "gflops": result.perSecond * model.flopsPerWindow / 1e9]
    }

    /// The streaming path: `streams` streams each get `hop` new steps, then all their windows are classified.
    public static func streaming(model: CSIModel, streams: Int, hop: Int, seconds: Double) -> [String: Any] {
        let config = model.config
        let session = StreamingSession(model: model, maxBatch: min(64, streams), slack: hop)
        let slots = (0..<streams).map { _ in session.openStream() }
        var ends = [Int](repeating: 0, count: streams)
        var generator = SystemRandomNumberGenerator()
        let steps = (0..<(config.steps * config.features)).map { _ in Float.random(in: 0..<1, using: &generator) }
        var logits = [Float](repeating: 0, count: streams * config.classes)
        let result = steps.withUnsafeBufferPointer { input in
            for slot in slots { session.append(steps: input.baseAddress!, count: config.steps, to: slot) }
            var offset = 0
            return logits.withUnsafeMutableBufferPointer { output in
                slots.withUnsafeBufferPointer { slotBuffer in
                    measure(seconds: seconds) {
                        if offset + hop > config.steps { offset = 0 }
                        for (index, slot) in slots.enumerated() {
                            session.append(steps: input.baseAddress! + offset * config.features, count: hop, to: slot)
                            ends[index] = session.position(of: slot)
                        }
                        offset += hop
                        _ = ends.withUnsafeBufferPointer { session.logits(slots: slotBuffer, ends: $0, into: output) }
                        return streams
                    }
                }
            }
        }
        return ["windows_per_second": result.perSecond,
                "frames_per_second": result.perSecond * Double(hop),
                "us_per_frame": 1e6 / (result.perSecond * Double(hop))]
    }

    /// sgemm GFLOP/s on `size`-square matrices.
    public static func sgemm(size: Int, seconds: Double) -> Double {
        let a = FloatBuffer(count: size * size)
        let b = FloatBuffer(count: size * size)
        let c = FloatBuffer(count: size * size)
        for index in 0..<(size * size) {
            a.pointer[index] = Float(index % 7) * 0.1
            b.pointer[index] = Float(index % 5) * 0.1
        }
        let result = measure(seconds: seconds) {
            LinearAlgebra.multiply(a.pointer, rows: size, inner: size, b.pointer, columns: size, into: c.pointer)
            return 1
        }
        return result.perSecond * 2 * Double(size) * Double(size) * Double(size) / 1e9
    }
}
