import CSIEvents
import CSIFeatures

extension DaemonPipeline {
    /// One stream's state.
    final class Stream {
        /// `source|transmitter` (`group:NAME|transmitter` for boards, `.../coreN/ssM` with `pipeline.group = "none"`).
        let key: String
        /// The capture source name (`replay:FILE`, `pcap:IFACE`, `netlink`, `group:NAME`).
        let source: String
        /// The device of its first frame (``CSIDevice/description``: `intel5300`, `nexmon`, ...).
        let device: String
        /// Frames -> whole measurements.
        let assembler: StreamAssembler
        /// Measurements held until the stream is routed.
        var probe: RateProbe
        /// What the router saw (nil: not routed yet).
        var profile: StreamProfile?
        /// The route that chose its model (`route[N]`, `model.path`), or `no-model` / `rate-too-low`; nil: none yet.
        var routeState: String?
        /// Its model's lane (nil: not routed, or no model fits).
        var lane: ClassifierLane?
        /// Measurements -> windows (nil until routed to a model).
        var features: FeaturePipeline?
        /// Probabilities -> events. Replace it with ``replaceSmoother(_:)`` (its fall counters carry on).
        var smoother: EventSmoother
        /// Falls dropped by the smoothers this stream had before the current one (model reload, calibration).
        var earlierFallsRejected = 0, earlierFallsSuppressed = 0
        /// Pending falls dropped because a recovery followed them, since the stream came up.
        var fallsRejected: Int { earlierFallsRejected + smoother.fallsRejected }
        /// Falls not reported because the person was already down, since the stream came up.
        var fallsSuppressed: Int { earlierFallsSuppressed + smoother.fallsSuppressed }

        /// Installs a new smoother, keeping the old one's fall counts.
        func replaceSmoother(_ new: EventSmoother) {
            earlierFallsRejected += smoother.fallsRejected
            earlierFallsSuppressed += smoother.fallsSuppressed
            smoother = new
        }
        /// Monotonic time of the last frame, and capture time of the last frame.
        var lastSeen: Double, lastCaptureTime: Double
        /// Whether its frames come from a source that waits for the pipeline (a replayed file): the reader holds such
        /// sources back while a worker is backed up, and that time is not silence (``expireSilentStreams(now:replaysHeld:)``).
        var fromReplay = false
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

        init(key: String, source: String, device: String, assembler: StreamAssembler, probeSeconds: Double, smoother: EventSmoother,
             now: Double, captureTime: Double) {
            self.key = key
            self.source = source
            self.device = device
            self.assembler = assembler
            probe = RateProbe(seconds: probeSeconds)
            self.smoother = smoother
            lastSeen = now
            lastCaptureTime = captureTime
            upSince = now
            mark = (now, 0, 0)
        }
    }
}
