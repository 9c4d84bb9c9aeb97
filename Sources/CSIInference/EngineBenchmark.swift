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

    /// CPU seconds used by the calling thread (on a shared machine, units per CPU second is steadier than per
    /// wall second: time spent waiting for a core is not counted).
    static func threadCPUTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Runs `body` (which returns work units done) for a warm-up then `seconds`; returns units per wall second
    /// and per CPU second of this thread (equal on an idle machine with one OpenBLAS thread).
    static func measure(seconds: Double, _ body: () -> Int)
        -> (perSecond: Double, elapsed: Double, units: Int, perCPUSecond: Double) {
        let warmUpEnd = now() + min(0.5, seconds / 4)
        while now() < warmUpEnd { _ = body() }
        let start = now()
        let cpuStart = threadCPUTime()
        var units = 0
        var elapsed = 0.0
        repeat {
            units += body()
            elapsed = now() - start
        } while elapsed < seconds
        let cpu = threadCPUTime() - cpuStart
        return (Double(units) / elapsed, elapsed, units, Double(units) / max(cpu, 1e-9))
    }

    /// Windows per second of ``InferenceSession`` on `batch` random windows per call.
    public static func batch(model: CSIModel, batch: Int, seconds: Double) -> [String: Any] {
        let config = model.config
        let session = InferenceSession(model: model, maxBatch: batch)
        let windows = uniformValues(count: batch * config.steps * config.features)
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
                "windows_per_cpu_second": result.perCPUSecond,
                "ms_per_call": 1000 * result.elapsed / Double(max(1, result.units / batch)),
                "gflops": result.perSecond * model.flopsPerWindow / 1e9]
    }

    /// The streaming path: `streams` streams each get `hop` new steps, then all their windows are classified.
    public static func streaming(model: CSIModel, streams: Int, hop: Int, seconds: Double) -> [String: Any] {
        let config = model.config
        let session = StreamingSession(model: model, maxBatch: min(64, streams), slack: hop)
        let slots = (0..<streams).map { _ in session.openStream() }
        var ends = [Int](repeating: 0, count: streams)
        let steps = uniformValues(count: config.steps * config.features)
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
                "windows_per_cpu_second": result.perCPUSecond,
                "frames_per_second": result.perSecond * Double(hop),
                "us_per_frame": 1e6 / (result.perSecond * Double(hop))]
    }

    /// `count` pseudo-random values in [0, 1) from a fixed seed (inputs do not change the work of a dense network).
    static func uniformValues(count: Int) -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
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
