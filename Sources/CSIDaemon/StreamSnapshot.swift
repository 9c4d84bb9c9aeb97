import Foundation

/// What `status` reports per stream.
public struct StreamSnapshot: Sendable {
    /// `source|transmitter`.
    public var key: String
    /// Capture source name.
    public var source: String
    /// The device of its first frame (`intel5300`, `nexmon`, `esp32`, `atheros`, `feitcsi`, ...).
    public var device: String
    /// Frames and windows since the stream came up.
    public var frames: Int, windows: Int
    /// Frames missing by the stream's sequence numbers since it came up (0 when the format has none).
    public var lostFrames: Int
    /// Rates since the previous snapshot.
    public var framesPerSecond: Double, windowsPerSecond: Double
    /// The current activity, `nil` when idle.
    public var activity: String?
    /// Seconds since the last frame.
    public var silentSeconds: Double
    /// Its calibration (nil: uncalibrated).
    public var calibration: Calibration?
    /// Its model (`name (architecture, file)`), nil while not routed or when no model fits.
    public var model: String?
    /// The rule that chose the model (`route[N]`, `model.path`), or why there is none (`no-model`,
    /// `rate-too-low`); nil while its rate is being measured or without any model.
    public var route: String?
    /// Falls the smoother dropped since the stream came up: a recovery followed them (`rejected`), or the person was
    /// already down (`suppressed`, smoother.fall_already_down_labels).
    public var fallsRejected = 0, fallsSuppressed = 0

    /// What `status` shows of a stream's calibration.
    public struct Calibration: Sendable, Equatable {
        /// Whether a few-shot head / an empty-room baseline is in use.
        public var head: Bool, baseline: Bool
        /// When its file was last written (ISO 8601).
        public var created: String
        /// `{"head": Bool, "baseline": Bool, "created": String}`.
        public var jsonObject: [String: Any] { ["head": head, "baseline": baseline, "created": created] }
    }
}
