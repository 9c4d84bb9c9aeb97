/// What the daemon measures about a stream beyond its events (from its `status`): the frame rate, the model and
/// the calibration summary. The daemon's wiring hands these to the bridge every heartbeat.
public struct MQTTStreamDiagnostics: Sendable, Equatable {
    /// Frames per second over the last status period.
    public var rateHz: Double
    /// The model serving the stream (`name (family, path)`), if any.
    public var model: String?
    /// The calibration summary (`{"head": Bool, "baseline": Bool, "created": ISO8601}` in `status`), if any.
    public var calibration: Calibration?

    /// A stream's calibration summary.
    public struct Calibration: Sendable, Equatable {
        /// A calibrated classifier head is installed.
        public var head: Bool
        /// An empty-room baseline is installed.
        public var baseline: Bool
        /// When the calibration file was made (ISO 8601).
        public var created: String

        /// Creates a summary.
        public init(head: Bool, baseline: Bool, created: String) {
            self.head = head
            self.baseline = baseline
            self.created = created
        }
    }

    /// Creates diagnostics.
    public init(rateHz: Double, model: String? = nil, calibration: Calibration? = nil) {
        self.rateHz = rateHz
        self.model = model
        self.calibration = calibration
    }
}
