import Foundation

/// Numbers read out of `JSONSerialization` results (model configs and their input transform, stored calibration,
/// subscriber requests).
///
/// Foundation hands JSON `true` / `false` over as `NSNumber`s, and on Linux `value is Bool` also holds for the JSON
/// numbers `0`, `1`, `0.0` and `1.0`, so that test refused valid numbers (a model declaring `minimum_seconds: 1.0`,
/// a stored baseline with a standard deviation of 0). A boolean is told apart by its encoding instead (`c`, the
/// `char` a boolean `NSNumber` holds on Linux and macOS; JSON numbers come as integers or doubles).
public enum JSONNumber {
    /// The finite number `value` holds, or nil when it is absent, not a number, a JSON boolean, or not finite.
    public static func finite(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }
}
