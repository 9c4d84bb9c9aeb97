import Foundation
import CSICapture
import CSITestSupport

/// A reference decode made by `training/fixtures/make_capture_fixtures.py` (csiread or the MATLAB golden files):
/// counts, metadata, per-frame checksums over all values and the full values of a few frames.
struct ReferenceFixture {
    /// The decoded JSON object.
    let json: [String: Any]

    /// Loads `Fixtures/reference/<name>.json` next to this test file.
    init(_ name: String, file: String = #filePath) throws {
        let url = URL(fileURLWithPath: file).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/reference/\(name).json")
        let data = try Data(contentsOf: url)
        json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Wraps an already decoded JSON object (a nested block).
    init(json: [String: Any]) { self.json = json }

    /// Frames the reference decoded.
    var count: Int { json["count"] as? Int ?? -1 }
    /// Path of the capture relative to the shared data folder.
    var file: String { json["file"] as? String ?? "" }

    /// An integer array field.
    func ints(_ key: String) -> [Int] { (json[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [] }
    /// A double array field.
    func doubles(_ key: String) -> [Double] { (json[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [] }

    /// Opens the shared capture, or `nil` (with a printed skip message) when ../shared/data is missing.
    func captureURL() -> URL? { SharedData.file(file) }
}

/// The result of comparing frames with one reference block.
struct ComparisonReport {
    /// Largest relative difference of the per-frame power checksums.
    var powerMaxRelative = 0.0
    /// Largest difference of the weighted checksums relative to the frame's magnitude sum.
    var weightedMaxRelative = 0.0
    /// Largest |ours - reference| / max |reference| over the fully stored sample frames.
    var sampleMaxRelative = 0.0
    /// Number of sample frames compared value by value.
    var samplesCompared = 0
    /// Frames compared by checksum.
    var framesCompared = 0

    /// The largest of the three relative differences.
    var maxRelative: Double { max(powerMaxRelative, weightedMaxRelative, sampleMaxRelative) }
}

enum FrameChecksums {
    /// (power, weighted, magnitude) of a frame in its flattened (tx, rx, subcarrier) order, as the Python script.
    static func of(_ frame: CSIFrame) -> (power: Double, weighted: Double, magnitude: Double) {
        var power = 0.0, weighted = 0.0, magnitude = 0.0
        for i in 0..<frame.real.count {
            let re = Double(frame.real[i]), im = Double(frame.imag[i])
            power += re * re + im * im
            weighted += Double(i % 7 + 1) * re - Double(i % 5 + 1) * im
            magnitude += abs(re) + abs(im)
        }
        return (power, weighted, magnitude)
    }

    /// Compares `frames` (indexed by `frameIndex(i)` for reference row `i`) with the block `key` of `fixture`.
    static func compare(_ frames: [CSIFrame], with fixture: ReferenceFixture, block key: String,
                        frameIndex: (Int) -> Int = { $0 }) -> ComparisonReport {
        var report = ComparisonReport()
        guard let block = fixture.json[key] as? [String: Any] else { return report }
        let doubles = { (k: String) in (block[k] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [] }
        let power = doubles("power"), weighted = doubles("weighted"), magnitude = doubles("magnitude")
        for row in 0..<power.count {
            let index = frameIndex(row)
            guard index < frames.count else { report.powerMaxRelative = .infinity; continue }
            let ours = of(frames[index])
            report.powerMaxRelative = max(report.powerMaxRelative, abs(ours.power - power[row]) / max(power[row], 1e-30))
            report.weightedMaxRelative = max(report.weightedMaxRelative,
                                             abs(ours.weighted - weighted[row]) / max(magnitude[row], 1e-30))
            report.framesCompared += 1
        }
        for sample in block["samples"] as? [[String: Any]] ?? [] {
            guard let index = sample["index"] as? Int, index < frames.count else {
                report.sampleMaxRelative = .infinity
                continue
            }
            let re = (sample["re"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
            let im = (sample["im"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
            let frame = frames[index]
            guard re.count == frame.real.count, im.count == frame.imag.count else {
                report.sampleMaxRelative = .infinity
                continue
            }
            var scale = 1e-30, worst = 0.0
            for i in 0..<re.count {
                scale = max(scale, abs(re[i]), abs(im[i]))
                worst = max(worst, abs(Double(frame.real[i]) - re[i]), abs(Double(frame.imag[i]) - im[i]))
            }
            report.sampleMaxRelative = max(report.sampleMaxRelative, worst / scale)
            report.samplesCompared += 1
        }
        return report
    }
}

/// Reads every frame of `reader` (bounded to guard against a runaway loop).
func readAll(_ reader: some CaptureReader, limit: Int = 1_000_000) throws -> [CSIFrame] {
    var frames: [CSIFrame] = []
    while frames.count < limit, let frame = try reader.nextFrame() { frames.append(frame) }
    return frames
}

/// Collects issues reported through `onIssue` (thread-safe).
final class IssueCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var issues: [CaptureIssue] = []

    /// Appends an issue; pass as `reader.onIssue = collector.append`.
    @Sendable func append(_ issue: CaptureIssue) {
        lock.lock(); issues.append(issue); lock.unlock()
    }

    /// All issues so far.
    var all: [CaptureIssue] {
        lock.lock(); defer { lock.unlock() }
        return issues
    }
}
