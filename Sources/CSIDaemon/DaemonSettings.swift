import Foundation
import CSIEvents
import MQTTBridge

/// Every daemon option; filled from defaults, then the config file, then command-line flags.
public struct DaemonSettings: Sendable, Equatable {
    /// Capture sources.
    public var sources: [SourceSpec] = []
    /// Model file (`model.path`, `--model`): one model for every stream it fits; replaces ``routes``.
    public var modelPath: String?
    /// Per-stream model routing (`[[route]]` tables), tried in order; used when ``modelPath`` is `nil`.
    public var routes: [RouteRule] = DaemonSettings.defaultRoutes
    /// Subscriber socket path (ignored under socket activation).
    public var socketPath = "/run/csihard/events.sock"
    /// Socket file mode.
    public var socketMode: UInt16 = 0o660
    /// Socket group (`nil`: leave as created).
    public var socketGroup: String?
    /// Lines queued per subscriber before the oldest is dropped.
    public var subscriberQueue = 256
    /// Longest request line from a subscriber, bytes.
    public var maximumRequestLength = 4096
    /// Longest `calibration.install` request line (it carries a classifier head), bytes.
    public var maximumCalibrationRequestLength = 262_144
    /// State directory for per-stream calibration files (`state.directory`, `--state-dir`); `$STATE_DIRECTORY`
    /// wins when systemd sets it, and `nil` means `/var/lib/csihard` for root, `./.csihard-state` otherwise
    /// (``CalibrationStore/resolveStateDirectory(configured:environment:isRoot:)``).
    public var stateDirectory: String?
    /// Most subscribers served at once (further connections get an error line and are closed).
    public var maximumSubscribers = 1024
    /// Peers allowed to subscribe, by uid/gid from `SO_PEERCRED` (`nil`: anyone who can open the socket).
    public var allowList: PeerAllowList?
    /// Replay speed (0 = max) and loop.
    public var speed: Double = 1
    /// Replay in a loop.
    public var loop = false
    /// Follow replay files as they grow (like `tail -F`): never ends; truncation and rotation reopen the file.
    public var follow = false
    /// Frames a live source may queue for the pipeline before the oldest are dropped (load shedding, counted).
    public var liveQueueFrames = 4096
    /// Pipeline worker threads (`pipeline.workers`); streams are sharded over them by stream key. Default: the
    /// number of cores the process may use, at most ``maximumWorkers``.
    public var workers = min(DaemonSettings.maximumWorkers, max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// The most pipeline workers a configuration may ask for.
    public static let maximumWorkers = 64
    /// Longest wait between attempts to (re)open a missing live interface, seconds (backoff doubles from 1 s).
    public var retryMaxSeconds: Double = 30
    /// Exit when all sources have ended.
    public var exitWhenDone = false
    /// Start reading sources only once the first subscriber has connected (demos, regression replays).
    public var waitForSubscriber = false
    /// With `waitForSubscriber`: a subscriber that sent no request line counts as ready after this many seconds
    /// (one that sends its filter is ready at once). Not a config key; tests lengthen it.
    var subscriberGraceSeconds = 0.25
    /// Seconds between heartbeats.
    public var heartbeatSeconds: Double = 5
    /// Pipeline settings (hop, batch, silence, smoother).
    public var pipeline = PipelineConfig()
    /// Log level name (trace, debug, info, notice, warning, error, critical).
    public var logLevel = "info"
    /// The MQTT bridge (`[mqtt]`, `--mqtt URL`); off while `mqtt.url` is nil.
    public var mqtt = MQTTSettings()
    /// Where the Prometheus metrics endpoint listens (`metrics.listen`, `--metrics-listen`); `nil`: no endpoint.
    public var metricsListen: MetricsListenAddress?

    /// The defaults: no config needed.
    public init() {}

    /// The model most streams get when nothing is configured (Intel 5300 and other >= 2-chain streams at >= 200 Hz).
    public static let defaultModelPath = "models/csihar-doppler-gru.safetensors"

    /// The built-in routes (the same as systemd/csihard.toml): the default recogniser for >= 2 chains at >= 200 Hz
    /// (Intel 5300 at 250 Hz-1 kHz), the 100 Hz CSI-ratio model for >= 2-chain streams of 80-199 Hz (AX210 at
    /// 100 packets/s and more), the 50 Hz one for >= 2-chain streams of 40-79 Hz (grouped Nexmon cores, AX210, an
    /// Intel 5300 at 50 Hz), the 20 Hz one for >= 2-chain streams of 16-40 Hz, the 50 Hz
    /// amplitude model for 1-chain streams at >= 40 Hz and the 20 Hz one for slower 1-chain streams (single-core
    /// Nexmon, ESP32). Rules whose file is not installed are skipped (with a warning at startup).
    public static let defaultRoutes: [RouteRule] = [
        RouteRule(model: defaultModelPath),
        RouteRule(model: "models/csihar-2ch100-doppler-gru.safetensors"),
        RouteRule(model: "models/csihar-2ch50-doppler-gru.safetensors"),
        RouteRule(model: "models/csihar-2ch-doppler-gru.safetensors"),
        RouteRule(chains: 1, model: "models/csihar-1ch50-doppler-gru.safetensors"),
        RouteRule(chains: 1, model: "models/csihar-1ch-doppler-gru.safetensors"),
    ]

    /// The runner's options.
    public var runnerOptions: DaemonRunner.Options {
        var options = DaemonRunner.Options()
        options.sources = sources
        options.speed = speed
        options.loop = loop
        options.follow = follow
        options.liveQueueFrames = liveQueueFrames
        options.retryMaxSeconds = retryMaxSeconds
        options.heartbeatSeconds = heartbeatSeconds
        options.exitWhenDone = exitWhenDone
        options.pipeline = pipeline
        options.workers = workers
        options.stateDirectory = stateDirectory
        return options
    }
}
