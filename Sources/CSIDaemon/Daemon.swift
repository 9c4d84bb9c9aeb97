import Dispatch
import Foundation
import Logging
import MQTTBridge
import ServiceLifecycle

/// Wires the daemon together: logging, systemd notifier and socket activation, hub, pipeline runner, subscriber
/// server, watchdog, SIGHUP reload, graceful shutdown on SIGTERM/SIGINT. `csihard`'s main only parses flags and
/// calls ``run(settings:configPath:environment:)``.
public enum Daemon {
    /// Runs until SIGTERM/SIGINT (or, with `exitWhenDone`, until every source ended). Returns normally on a
    /// clean shutdown; throws (with a message naming the file/field, or the metrics address and why it cannot be
    /// listened on) when startup fails. With `settings.metricsListen`, the metrics are made in `metrics` (default: a
    /// private registry; csihard passes the one it bootstrapped `MetricsSystem` with).
    public static func run(settings initial: DaemonSettings, configPath: String?,
                           reloadSettings: @escaping @Sendable () throws -> DaemonSettings,
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           metrics: DaemonMetrics.Backend? = nil) async throws {
        let searchPath = ModelSearchPath.standard(configPath: configPath)
        try await run(settings: initial, configPath: configPath, reloadSettings: reloadSettings, environment: environment,
                      metrics: metrics,
                      loadRouter: { try loadRouter(settings: $0, searchPath: searchPath, logger: $1, strictDefault: $2) })
    }

    /// ``run(settings:configPath:reloadSettings:environment:)`` with one model given by `loadModel(settings,
    /// logger, strict)` (tests run the whole daemon in-process with a classifier whose behaviour they control).
    static func run(settings initial: DaemonSettings, configPath: String?,
                    reloadSettings: @escaping @Sendable () throws -> DaemonSettings,
                    environment: [String: String], metrics: DaemonMetrics.Backend? = nil,
                    loadModel: @escaping @Sendable (DaemonSettings, Logger, Bool) throws -> (any WindowClassifier)?) async throws {
        try await run(settings: initial, configPath: configPath, reloadSettings: reloadSettings, environment: environment,
                      metrics: metrics, loadRouter: { .single(try loadModel($0, $1, $2)) })
    }

    /// ``run(settings:configPath:reloadSettings:environment:)`` with the model loader given:
    /// `loadRouter(settings, logger, strict)`.
    static func run(settings initial: DaemonSettings, configPath: String?,
                    reloadSettings: @escaping @Sendable () throws -> DaemonSettings,
                    environment: [String: String], metrics backend: DaemonMetrics.Backend? = nil,
                    loadRouter: @escaping @Sendable (DaemonSettings, Logger, Bool) throws -> ModelRouter) async throws {
        let logger = makeLogger(level: initial.logLevel, environment: environment)
        let notifier = SystemdNotifier(environment: environment)
        let router = try loadRouter(initial, logger, false)
        let hub = EventHub(queueCapacity: initial.subscriberQueue)
        var options = initial.runnerOptions
        options.stateDirectory = CalibrationStore.resolveStateDirectory(configured: initial.stateDirectory, environment: environment)
        let runner = try DaemonRunner(options: options, router: router, hub: hub,
                                      log: { logger.info("\($0)") }, warn: { logger.warning("\($0)") })
        logger.info("calibration files in \(options.stateDirectory ?? "-")/calibration")

        let activated = SocketActivation.listenDescriptors(environment: environment)
        let binding: SocketBinding = activated.first.map { .descriptor($0) }
            ?? .path(initial.socketPath, mode: initial.socketMode, group: initial.socketGroup)
        var server = SubscriberServer(hub: hub, binding: binding, logger: logger)
        server.maximumRequestLength = initial.maximumRequestLength
        server.maximumCalibrationRequestLength = initial.maximumCalibrationRequestLength
        server.calibrate = { request, reply in runner.calibrate(request, reply: reply) }
        server.maximumSubscribers = initial.maximumSubscribers
        server.allowList = initial.allowList
        let admission = server.admission
        runner.subscribersRefused = { admission.refused }
        if let allowList = initial.allowList { logger.info("subscribers limited to \(allowList)") }
        raiseDescriptorLimit(wanted: initial.maximumSubscribers + 256, logger: logger)
        server.status = { runner.statusJSON }
        let sourcesText = initial.sources.map(\.description).joined(separator: ", ")
        // Sources start once subscribers can connect (and, with `waitForSubscriber`, once the first one is ready:
        // it sent its request line, or has been connected for 0.25 s without one).
        let waitForSubscriber = initial.waitForSubscriber
        server.onListening = {
            notifier.ready(status: "serving \(sourcesText.isEmpty ? "no sources" : sourcesText)")
            guard waitForSubscriber else { runner.start(); return }
            logger.info("waiting for the first subscriber before reading sources")
            Thread.detachNewThread {
                while !hub.hasReadySubscriber(grace: initial.subscriberGraceSeconds) && !runner.isStopping { Thread.sleep(forTimeInterval: 0.005) }
                runner.start()
            }
        }

        // SIGHUP: re-read the config and the model; a bad one keeps the old and logs why.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            notifier.reloading()
            do {
                let settings = try reloadSettings()
                let newRouter = try loadRouter(settings, logger, true)
                // Models and pipeline settings are swapped together, between two bursts of frames.
                runner.reload(router: newRouter, config: settings.pipeline)
                logger.info("reloaded configuration", metadata: ["models": "\(DaemonRunner.modelNames(newRouter))"])
                let restartOnly = Self.restartOnlyChanges(from: initial, to: settings)
                if !restartOnly.isEmpty {
                    logger.warning("changed settings that apply only after a restart: \(restartOnly.joined(separator: ", "))")
                }
            } catch {
                logger.error("reload failed, keeping the running configuration and model: \(error)")
            }
            notifier.ready(status: "serving (reloaded)")
        }
        hangup.resume()
        defer { hangup.cancel() }

        // The MQTT bridge: a broker that is away or refuses the credentials is logged and retried; it never stops
        // the daemon (bad TLS files or settings stop startup here).
        var mqtt: MQTTService?
        if let url = initial.mqtt.url {
            let bridge = try MQTTBridge(settings: initial.mqtt, version: CSIHARVersion.string) { warning, line in
                if warning { logger.warning("\(line)") } else { logger.info("\(line)") }
            }
            let discovery = initial.mqtt.discovery ? ", Home Assistant discovery under \(initial.mqtt.discoveryPrefix)/" : ""
            logger.info("mqtt: publishing to \(url) as \(bridge.topics.clientID): events on \(initial.mqtt.topicPrefix)/<stream>/event\(discovery)")
            mqtt = MQTTService(bridge: bridge, hub: hub, status: { runner.statusSnapshot }, logger: logger)
        }

        // The Prometheus endpoint: listening before anything else starts, so that an address in use stops startup
        // with one line. The metrics follow the runner's status snapshots (every 0.5 s, on its thread).
        var metricsServer: MetricsHTTPServer?
        if let address = initial.metricsListen {
            let backend = backend ?? .makePrivate()
            let bridge = mqtt?.bridge
            let metrics = DaemonMetrics(registry: backend.registry, factory: backend.factory,
                                        stallSeconds: { runner.heartbeatAge }, mqtt: { bridge?.counters })
            runner.statusObserver = { metrics.update($0) }
            let server = try await MetricsHTTPServer.bind(address: address) { metrics.exposition() }
            logger.info("metrics: Prometheus endpoint on http://\(MetricsListenAddress(host: address.host, port: server.port))/metrics")
            metricsServer = server
        }

        let pipeline = PipelineService(runner: runner)
        let watchdog = WatchdogService(runner: runner, notifier: notifier, logger: logger)
        // Graceful shutdown goes through the services in reverse order: the pipeline stops first (its streams go
        // down with reason `shutdown`), then the server sends every subscriber what is queued for it (a stalled
        // one is cut off after a short drain) and closes.
        // The MQTT bridge stops after the pipeline (it forwards the streams' last events), before the server.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: server)]
        if let mqtt { services.append(.init(service: mqtt, successTerminationBehavior: .ignore)) }
        if let metricsServer { services.append(.init(service: metricsServer, successTerminationBehavior: .ignore)) }
        services += [
            .init(service: watchdog, successTerminationBehavior: .ignore),
            .init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        configuration.maximumGracefulShutdownDuration = .seconds(mqtt == nil ? 1.5 : 2.5)
        configuration.maximumCancellationDuration = .seconds(0.3)
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch is CancellationError {
            // Shutdown path, not a failure.
        }
        notifier.stopping()
        // Normally stopped already (PipelineService); if a batch is still being classified, the process exits
        // without waiting for it: SIGTERM to exit stays under 2 s.
        runner.stop(timeout: 0.1)
        hub.finishAll()
        logger.info("stopped")
    }

    /// The models to serve (``ModelLoader/router(settings:searchPath:strictDefault:warn:)``): `model.path` alone,
    /// else the routes, relative paths looked for along `searchPath`; missing route files are skipped with a
    /// warning, the rules are logged. Without any model: streams and heartbeats only.
    static func loadRouter(settings: DaemonSettings, searchPath: ModelSearchPath, logger: Logger,
                           strictDefault: Bool = false) throws -> ModelRouter {
        let router = try ModelLoader.router(settings: settings, searchPath: searchPath, strictDefault: strictDefault) {
            logger.warning("\($0)")
        }
        for line in router.summary { logger.info("\(line)") }
        if router.isEmpty { logger.warning("no model: serving stream and heartbeat events only (pass --model FILE)") }
        return router
    }

    /// Settings a SIGHUP cannot apply to the running daemon (the socket, sources and timers are set up once).
    static func restartOnlyChanges(from old: DaemonSettings, to new: DaemonSettings) -> [String] {
        var changed: [String] = []
        if old.sources != new.sources { changed.append("sources.inputs") }
        if old.speed != new.speed { changed.append("sources.speed") }
        if old.loop != new.loop { changed.append("sources.loop") }
        if old.follow != new.follow { changed.append("sources.follow") }
        if old.liveQueueFrames != new.liveQueueFrames { changed.append("sources.queue_frames") }
        if old.workers != new.workers { changed.append("pipeline.workers") }
        if old.maximumSubscribers != new.maximumSubscribers { changed.append("socket.max_subscribers") }
        if old.allowList != new.allowList { changed.append("socket.allow_users/allow_groups") }
        if old.retryMaxSeconds != new.retryMaxSeconds { changed.append("sources.retry_max_seconds") }
        if old.socketPath != new.socketPath { changed.append("socket.path") }
        if old.socketMode != new.socketMode { changed.append("socket.mode") }
        if old.socketGroup != new.socketGroup { changed.append("socket.group") }
        if old.subscriberQueue != new.subscriberQueue { changed.append("socket.queue_lines") }
        if old.maximumRequestLength != new.maximumRequestLength { changed.append("socket.max_request_bytes") }
        if old.maximumCalibrationRequestLength != new.maximumCalibrationRequestLength {
            changed.append("socket.max_calibration_bytes")
        }
        if old.stateDirectory != new.stateDirectory { changed.append("state.directory") }
        if old.heartbeatSeconds != new.heartbeatSeconds { changed.append("daemon.heartbeat_seconds") }
        if old.logLevel != new.logLevel { changed.append("daemon.log_level") }
        if old.pipeline.grouping != new.pipeline.grouping { changed.append("pipeline.group/[[group]]") }
        if old.mqtt != new.mqtt { changed.append("[mqtt]") }
        if old.metricsListen != new.metricsListen { changed.append("metrics.listen") }
        return changed
    }

    /// Raises the soft open-files limit towards the hard one so `wanted` descriptors (subscribers plus sources)
    /// fit; systemd services start with a soft limit of 1024.
    static func raiseDescriptorLimit(wanted: Int, logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        let previous = limit.rlim_cur
        limit.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 || limit.rlim_cur < rlim_t(wanted) {
            logger.warning("open-files limit \(limit.rlim_cur) (was \(previous)) is below the \(wanted) that socket.max_subscribers needs")
        }
    }

    /// stderr logging; `<N>` priority prefixes when `JOURNAL_STREAM` is set (journald).
    public static func makeLogger(level: String, environment: [String: String]) -> Logger {
        let journald = environment["JOURNAL_STREAM"] != nil
        var logger = Logger(label: "csihard") { label in
            journald ? JournaldLogHandler(label: label) as any LogHandler : StreamLogHandler.standardError(label: label)
        }
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }
}

/// Keeps the pipeline thread alive for the service group; stops it on shutdown.
struct PipelineService: Service {
    let runner: DaemonRunner

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !runner.isFinished {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        runner.stop(timeout: 1)   // within the group's 1.5 s graceful budget, leaving the subscribers' drain
    }
}

/// Sends `WATCHDOG=1` at half systemd's interval, only while the pipeline loop is fresh; refreshes `STATUS=`.
struct WatchdogService: Service {
    let runner: DaemonRunner
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        guard notifier.socketPath != nil else { return }
        // Half systemd's watchdog interval; without a watchdog, STATUS= every 5 s.
        let interval = notifier.watchdogInterval.map { $0 / 2 } ?? 5
        try? await cancelWhenGracefulShutdown {
            var warned = false
            while true {
                try await Task.sleep(for: .seconds(interval))
                if runner.heartbeatAge < max(1, interval) {
                    if notifier.watchdogInterval != nil { notifier.notify("WATCHDOG=1\nSTATUS=\(runner.statusLine)") } else {
                        notifier.status(runner.statusLine)
                    }
                    warned = false
                } else if !warned {
                    logger.warning("pipeline stalled for \(Int(runner.heartbeatAge)) s; withholding WATCHDOG=1")
                    notifier.status("pipeline stalled for \(Int(runner.heartbeatAge)) s")
                    warned = true
                }
            }
        }
    }
}
