import CSIInference

/// A calibration request a subscriber sends on the socket (docs/calibration.md, "Daemon requests"):
///
///     {"request":"calibration.install","stream":KEY,"head":{HeadCalibration JSON object}}
///     {"request":"calibration.baseline","stream":KEY,"seconds":20}
///     {"request":"calibration.reset","stream":KEY,"part":"head"|"baseline"|"all"}
///
/// The pipeline thread applies it (``DaemonPipeline/calibrate(_:reply:)``); the reply is one JSON line,
/// `{"type":"calibration",...}` or `{"type":"error","message":...}`.
public enum CalibrationRequest: Sendable, Equatable {
    /// Install a few-shot head for a stream (checked against the loaded model first).
    case install(stream: String, head: HeadCalibration)
    /// Record an empty-room baseline over the stream's next `seconds` of windows.
    case baseline(stream: String, seconds: Double)
    /// Remove a stored part (or all) and return the stream to the model's defaults.
    case reset(stream: String, part: CalibrationPart)

    /// The stream the request is about.
    public var stream: String {
        switch self {
        case .install(let stream, _), .baseline(let stream, _), .reset(let stream, _): return stream
        }
    }

    /// Shortest and longest baseline, seconds.
    public static let baselineSeconds: ClosedRange<Double> = 5...600
}

/// Which part of a stream's calibration a reset removes.
public enum CalibrationPart: String, Sendable, Equatable, CaseIterable {
    /// The few-shot classifier head.
    case head
    /// The empty-room baseline (idle motion threshold and feature offsets).
    case baseline
    /// Both: the stream's file is deleted.
    case all
}
