import CSIFeatures
import Foundation

/// An empty-room baseline of one stream (`calibration.baseline`): the room's noise floor per feature and the
/// motion energy of nobody moving, measured over `seconds` of the stream's windows.
public struct RoomBaseline: Sendable, Equatable {
    /// ISO 8601 time it was recorded.
    public var created: String
    /// Capture seconds and windows it covers.
    public var seconds: Double, windows: Int
    /// Raw steps averaged into `floor`.
    public var steps: Int
    /// The model's idle probability averaged over the windows.
    public var idleMean: Double
    /// Fraction of windows in which a non-idle class led with probability >= 0.6.
    public var activeFraction: Double
    /// Mean raw (un-normalised) step, (features).
    public var floor: [Float]
    /// Mean and standard deviation of the windows' motion energy.
    public var motionMean: Double, motionStd: Double
    /// The stream's idle motion threshold: `max(motionMean + 3 motionStd, minimumMotionThreshold)`.
    public var idleMotionEnergy: Double

    /// The smallest idle motion threshold a baseline sets (a perfectly still capture would otherwise set 0, which
    /// disables the test).
    public static let minimumMotionThreshold = 1e-3

    /// The JSON object stored in the stream's calibration file.
    public var jsonObject: [String: Any] {
        ["created": created, "seconds": seconds, "windows": windows, "steps": steps, "idle_mean": idleMean,
         "active_fraction": activeFraction, "floor": floor.map(Double.init), "motion_mean": motionMean,
         "motion_std": motionStd, "idle_motion_energy": idleMotionEnergy]
    }

    /// Creates a baseline.
    public init(created: String, seconds: Double, windows: Int, steps: Int, idleMean: Double, activeFraction: Double,
                floor: [Float], motionMean: Double, motionStd: Double) {
        self.created = created
        self.seconds = seconds
        self.windows = windows
        self.steps = steps
        self.idleMean = idleMean
        self.activeFraction = activeFraction
        self.floor = floor
        self.motionMean = motionMean
        self.motionStd = motionStd
        idleMotionEnergy = max(motionMean + 3 * motionStd, Self.minimumMotionThreshold)
    }

    /// Parses the stored object; `fail(field, reason)` makes the error (the field is prefixed `baseline.`).
    static func parse(_ value: Any, features: Int, fail: (String, String) -> Error) throws -> RoomBaseline {
        guard let object = value as? [String: Any] else { throw fail("baseline", "is not an object") }
        func number(_ key: String) throws -> Double {
            guard let value = JSONNumber.finite(object[key]) else {
                throw fail("baseline." + key, object[key] == nil ? "is missing" : "is not a finite number")
            }
            return value
        }
        guard let created = object["created"] as? String, ISO8601DateFormatter().date(from: created) != nil else {
            throw fail("baseline.created", "is missing or not an ISO 8601 time")
        }
        guard let values = object["floor"] as? [Any] else { throw fail("baseline.floor", "is missing or not an array") }
        guard values.count == features else {
            throw fail("baseline.floor", "has \(values.count) values; the model has \(features) features")
        }
        var floor: [Float] = []
        floor.reserveCapacity(features)
        for (i, item) in values.enumerated() {
            guard let number = item as? NSNumber, Float(number.doubleValue).isFinite else {
                throw fail("baseline.floor", "value \(i) is not a finite number")
            }
            floor.append(Float(number.doubleValue))
        }
        var baseline = RoomBaseline(created: created, seconds: try number("seconds"), windows: Int(try number("windows")),
                                    steps: Int(try number("steps")), idleMean: try number("idle_mean"),
                                    activeFraction: try number("active_fraction"), floor: floor,
                                    motionMean: try number("motion_mean"), motionStd: try number("motion_std"))
        let threshold = try number("idle_motion_energy")
        guard threshold > 0 else { throw fail("baseline.idle_motion_energy", "must be > 0") }
        baseline.idleMotionEnergy = threshold
        return baseline
    }
}
