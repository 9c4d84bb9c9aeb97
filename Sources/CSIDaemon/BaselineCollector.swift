import Foundation

/// Records one stream's empty-room baseline (`calibration.baseline`): sums of its raw steps, of its windows' motion
/// energy and idle probability, and how often a non-idle class led. Buffers are allocated when the request starts;
/// adding a step or a window allocates nothing.
final class BaselineCollector {
    /// Capture seconds of windows wanted.
    let seconds: Double
    /// Index of the idle class in the model's labels.
    let idleIndex: Int
    /// The labels (for the rejection message).
    let labels: [String]
    /// Sends the request's reply line.
    let reply: @Sendable (String) -> Void
    /// Sum of raw steps, (features).
    private var stepSum: [Double]
    /// Steps and windows added.
    private(set) var steps = 0, windows = 0
    /// Sums of motion energy, its square, and the idle probability.
    private var motionSum = 0.0, motionSquares = 0.0, idleSum = 0.0
    /// Windows in which each class led with probability >= ``activeLead`` (idle never counts).
    private var leads: [Int]
    /// End capture time of the first and the latest window.
    private(set) var firstEnd: Double?, lastEnd = 0.0

    /// A non-idle class leading with at least this probability counts as someone moving.
    static let activeLead: Float = 0.6
    /// Least average idle probability, and most fraction of "moving" windows, that are accepted.
    static let minimumIdleMean = 0.7, maximumActiveFraction = 0.2
    /// Least capture seconds of windows accepted.
    static let minimumSeconds = 5.0

    init(seconds: Double, features: Int, labels: [String], idleIndex: Int, reply: @escaping @Sendable (String) -> Void) {
        self.seconds = seconds
        self.labels = labels
        self.idleIndex = idleIndex
        self.reply = reply
        stepSum = [Double](repeating: 0, count: features)
        leads = [Int](repeating: 0, count: labels.count)
    }

    /// Adds one raw step (features,).
    func add(step: UnsafeBufferPointer<Float>) {
        guard step.count >= stepSum.count else { return }
        stepSum.withUnsafeMutableBufferPointer { sum in
            for i in 0..<sum.count { sum[i] += Double(step[i]) }
        }
        steps += 1
    }

    /// Adds one classified window; true once `seconds` of windows are in.
    func add(end: Double, probabilities: UnsafeBufferPointer<Float>, motionEnergy: Double) -> Bool {
        if firstEnd == nil { firstEnd = end }
        lastEnd = end
        windows += 1
        motionSum += motionEnergy
        motionSquares += motionEnergy * motionEnergy
        if idleIndex < probabilities.count { idleSum += Double(probabilities[idleIndex]) }
        var best = 0
        for c in 0..<min(probabilities.count, leads.count) where probabilities[c] > probabilities[best] { best = c }
        if best != idleIndex && best < leads.count && probabilities[best] >= Self.activeLead { leads[best] += 1 }
        return covered >= seconds
    }

    /// Capture seconds the windows span (one hop is counted for the first window).
    var covered: Double {
        guard let firstEnd else { return 0 }
        let hop = windows > 1 ? (lastEnd - firstEnd) / Double(windows - 1) : 0
        return lastEnd - firstEnd + hop
    }

    /// The baseline, or why it is rejected (a message for the user).
    func result(created: Date = Date()) -> Result<RoomBaseline, BaselineRejection> {
        guard windows > 0, steps > 0, covered >= Self.minimumSeconds - 1e-9 else {
            return .failure(BaselineRejection("baseline rejected: only \(String(format: "%.1f", covered)) s of windows "
                + "(at least \(Int(Self.minimumSeconds)) s needed)"))
        }
        let count = Double(windows)
        let idleMean = idleSum / count
        let active = leads.reduce(0, +)
        let activeFraction = Double(active) / count
        if idleMean < Self.minimumIdleMean || activeFraction > Self.maximumActiveFraction {
            let top = leads.indices.max { leads[$0] < leads[$1] } ?? 0
            let detail = active > 0
                ? String(format: "; %@ led %.0f%% of windows", labels[top], 100 * Double(leads[top]) / count) : ""
            return .failure(BaselineRejection(String(format: "baseline rejected: someone moved during it (idle %.2f on average%@); "
                + "keep the room empty and try again", idleMean, detail)))
        }
        let mean = motionSum / count
        let std = max(0, motionSquares / count - mean * mean).squareRoot()
        let floor = stepSum.map { Float($0 / Double(steps)) }
        return .success(RoomBaseline(created: ISO8601DateFormatter().string(from: created), seconds: covered, windows: windows,
                                     steps: steps, idleMean: idleMean, activeFraction: activeFraction, floor: floor,
                                     motionMean: mean, motionStd: std))
    }
}

/// Why a baseline was not stored (the reply's message).
struct BaselineRejection: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
