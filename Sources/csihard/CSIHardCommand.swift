import ArgumentParser
import CSIDaemon
import CSIInference
import MQTTBridge
import Metrics
import Prometheus

/// `csihard`: parses flags, merges them over the config file, and runs the daemon. Nothing else happens here.
@main
struct CSIHardCommand: AsyncParsableCommand {
    /// Re-executes on a usable OpenBLAS kernel when needed (``BLASKernel``), then parses and runs.
    static func main() async {
        BLASKernel.reexecIfOnFallbackKernel()
        await main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "csihard",
        abstract: "WiFi CSI activity-recognition daemon: capture -> windows -> model -> events on a Unix socket.",
        version: CSIHARVersion.string)

    @Option(name: .customLong("source"), help: "replay:FILE, pcap:IFACE or netlink (repeatable).")
    var sources: [String] = []
    @Option(help: "Replay speed multiplier, or 'max'.")
    var speed: String?
    @Flag(help: "Replay files in a loop.")
    var loop = false
    @Flag(help: "Follow replay files as they grow (tail -F); truncation and rotation reopen the file.")
    var follow = false
    @Option(help: "Most subscribers served at once (further connections get an error line).")
    var maxSubscribers: Int?
    @Option(name: .customLong("allow-user"), help: "Only this uid or user name may subscribe (SO_PEERCRED; repeatable; with --allow-group).")
    var allowUsers: [String] = []
    @Option(name: .customLong("allow-group"), help: "Processes of this primary gid or group name may subscribe (repeatable).")
    var allowGroups: [String] = []
    @Option(help: "Subscriber socket path (ignored under socket activation).")
    var socket: String?
    @Option(help: "Model file (.safetensors) for every stream it fits, replacing the [[route]] rules (default: the routes of --config, else the built-in ones). Relative paths: the working directory, the config's directory, then <bindir>/../share/csihar.")
    var model: String?
    @Option(help: "State directory for per-stream calibration files (default: $STATE_DIRECTORY under systemd, else /var/lib/csihard for root, ./.csihard-state otherwise).")
    var stateDir: String?
    @Option(help: "Config file (TOML). Flags override it.")
    var config: String?
    @Option(help: "Socket group for subscribers.")
    var socketGroup: String?
    @Option(help: "Seconds between heartbeat events.")
    var heartbeatSeconds: Double?
    @Option(help: "Pipeline worker threads; streams are sharded over them (default: pipeline.workers, else the number of cores).")
    var workers: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?
    @Flag(help: "Exit when every source has ended (replay without --loop).")
    var exitWhenDone = false
    @Flag(help: "Start reading sources only once the first subscriber has connected.")
    var waitForSubscriber = false
    @Option(help: ArgumentHelp(
        "Also publish events to this MQTT broker, with Home Assistant discovery (mqtt://HOST[:PORT] or mqtts://...).",
        discussion: "Overrides mqtt.url; the rest (topic prefix, client id, credentials file, TLS files) comes from the [mqtt] table of --config (docs/mqtt.md).",
        valueName: "url"))
    var mqtt: String?
    @Option(help: ArgumentHelp(
        "Serve Prometheus metrics over HTTP on this address (GET /metrics).",
        discussion: "HOST:PORT with an IPv4 address, [IPv6] or localhost, e.g. 127.0.0.1:9464; overrides metrics.listen. Off by default (docs/metrics.md).",
        valueName: "host:port"))
    var metricsListen: String?

    func run() async throws {
        let flags = self
        let makeSettings: @Sendable () throws -> DaemonSettings = {
            var settings = try flags.config.map { try DaemonConfigFile.load(path: $0) } ?? DaemonSettings()
            try flags.apply(to: &settings)
            return settings
        }
        let settings: DaemonSettings
        do {
            settings = try makeSettings()
        } catch {
            throw ValidationError("\(error)")
        }
        // swift-metrics is bootstrapped once, here, and only when the endpoint is on; the daemon makes its metrics
        // with the bootstrapped factory, which writes into the registry the endpoint serves.
        var metrics: DaemonMetrics.Backend?
        if settings.metricsListen != nil {
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(DaemonMetrics.makeFactory(registry: registry))
            metrics = DaemonMetrics.Backend(registry: registry, factory: MetricsSystem.factory)
        }
        try await Daemon.run(settings: settings, configPath: config, reloadSettings: makeSettings, metrics: metrics)
    }

    /// Flags override the config file.
    func apply(to settings: inout DaemonSettings) throws {
        if !sources.isEmpty { settings.sources = try sources.map { try SourceSpec(parsing: $0) } }
        if let speed {
            if speed == "max" { settings.speed = 0 } else if let value = Double(speed), value > 0 { settings.speed = value } else {
                throw ValidationError("--speed must be a positive number or 'max', not '\(speed)'")
            }
        }
        if loop { settings.loop = true }
        if follow { settings.follow = true }
        if let maxSubscribers {
            guard maxSubscribers > 0 else { throw ValidationError("--max-subscribers must be > 0") }
            settings.maximumSubscribers = maxSubscribers
        }
        if !allowUsers.isEmpty || !allowGroups.isEmpty {
            do {
                settings.allowList = try PeerAllowList(users: allowUsers, groups: allowGroups)
            } catch {
                throw ValidationError("--allow-user/--allow-group: \(error)")
            }
        }
        if let socket { settings.socketPath = socket }
        if let model { settings.modelPath = model }
        if let stateDir { settings.stateDirectory = stateDir }
        if let socketGroup { settings.socketGroup = socketGroup }
        if let workers {
            guard (1...DaemonSettings.maximumWorkers).contains(workers) else {
                throw ValidationError("--workers must be between 1 and \(DaemonSettings.maximumWorkers)")
            }
            settings.workers = workers
        }
        if let heartbeatSeconds {
            guard heartbeatSeconds > 0 else { throw ValidationError("--heartbeat-seconds must be > 0") }
            settings.heartbeatSeconds = heartbeatSeconds
        }
        if let logLevel { settings.logLevel = logLevel }
        if exitWhenDone { settings.exitWhenDone = true }
        if waitForSubscriber { settings.waitForSubscriber = true }
        if let mqtt {
            do { settings.mqtt.url = try MQTTURL(parsing: mqtt) } catch { throw ValidationError("--mqtt: \(error)") }
        }
        if let metricsListen {
            do { settings.metricsListen = try MetricsListenAddress(parsing: metricsListen) } catch {
                throw ValidationError("--metrics-listen: \(error)")
            }
        }
    }
}
