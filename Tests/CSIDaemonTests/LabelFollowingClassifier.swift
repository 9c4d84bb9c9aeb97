import CSIDaemon
import Foundation
import NIOConcurrencyHelpers

/// A streaming classifier whose answers the tests know in advance: it says what the capture's label sidecar says.
/// Steps arrive at `sampleRateHz` from the stream's first frame, so the window ending at step position `end` ends
/// at `end / sampleRateHz` seconds into the capture; it gets probability 1 for the activity labelled at the middle
/// of its last step (`idle` where no label applies) and 0 for the others. The CSI itself is ignored: the daemon's
/// pipeline (resampling, windows, batching, smoothing, hub, socket) is what is under test, not a model.
final class LabelFollowingClassifier: StreamingWindowClassifier, @unchecked Sendable {
    /// One labelled interval, seconds from the capture's first frame.
    struct Segment {
        var start: Double, end: Double, activity: String
    }

    let labels = ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up", "idle"]
    let steps: Int
    let features = 90
    let sampleRateHz: Double
    let name = "label-following-test-classifier"
    let slack = 100_000
    let segments: [Segment]

    private let lock = NIOLock()
    private var positions: [Int: Int] = [:]
    private var nextSlot = 0

    /// Reads a `start,end,activity` sidecar.
    init(sidecar path: String, steps: Int = 50, sampleRateHz: Double = 50) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        segments = text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: ",", maxSplits: 2).map(String.init)
            guard fields.count == 3, let start = Double(fields[0]), let end = Double(fields[1]) else { return nil }
            return Segment(start: start, end: end, activity: fields[2])
        }
        self.steps = steps
        self.sampleRateHz = sampleRateHz
    }

    /// The label in force `seconds` into the capture.
    func activity(at seconds: Double) -> String {
        segments.first { $0.start <= seconds && seconds < $0.end }?.activity ?? "idle"
    }

    /// Itself: its only per-stream state (step positions) is behind its lock, so workers may share it.
    func replica() throws -> any WindowClassifier { self }

    func openStream() -> Int {
        lock.withLock {
            defer { nextSlot += 1 }
            positions[nextSlot] = 0
            return nextSlot
        }
    }

    func closeStream(_ slot: Int) { lock.withLock { positions[slot] = nil } }

    func append(step: UnsafeBufferPointer<Float>, to slot: Int) { lock.withLock { positions[slot, default: 0] += 1 } }

    func position(of slot: Int) -> Int { lock.withLock { positions[slot] ?? 0 } }

    func classify(slots: UnsafeBufferPointer<Int>, ends: UnsafeBufferPointer<Int>,
                  into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        let classes = labels.count
        for index in 0..<slots.count {
            let label = activity(at: (Double(ends[index]) - 0.5) / sampleRateHz)
            let winner = labels.firstIndex(of: label) ?? classes - 1
            for c in 0..<classes { probabilities[index * classes + c] = c == winner ? 1 : 0 }
        }
    }

    func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int,
                  into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        throw ClassifierError("label-following classifier: windows must come through the streaming path")
    }
}
