import CSIEvents
import CSIFeatures

extension DaemonPipeline {
    /// One stream's state.
    final class Stream {
        /// `source|transmitter`.
        let key: String
        /// The capture source name (`replay:FILE`, `pcap:IFACE`, `netlink`).
        let source: String
        /// Frames -> windows.
        let features: FeaturePipeline
        /// Probabilities -> events.
        var smoother: EventSmoother
        /// Monotonic time of the last frame, and capture time of the last frame.
        var lastSeen: Double, lastCaptureTime: Double
        /// Frames and windows since it came up.
        var frames = 0, windows = 0
        /// Monotonic time it came up.
        let upSince: Double
        /// Its slot in a streaming classifier (steps are appended as they are made), or nil.
        var slot: Int?
        /// End position of its oldest window waiting in the batch (streaming classifiers).
        var oldestPendingEnd: Int?
        /// The last feature error published for it (repeats are counted, not published again).
        var lastError: String?
        /// Last sequence number seen, and frames missing by the sequence numbers.
        var lastSequence: Int?, lostFrames = 0
        /// Monotonic time, frames and windows at the previous snapshot (for recent rates).
        var mark: (time: Double, frames: Int, windows: Int)
        /// Its calibration as loaded from (or last written to) its file; nil: uncalibrated.
        var calibration: StreamCalibration?
        /// The empty-room baseline being recorded, if any.
        var baseline: BaselineCollector?

        init(key: String, source: String, features: FeaturePipeline, smoother: EventSmoother, now: Double, captureTime: Double) {
            self.key = key
            self.source = source
            self.features = features
            self.smoother = smoother
            lastSeen = now
            lastCaptureTime = captureTime
            upSince = now
            mark = (now, 0, 0)
        }
    }
}
