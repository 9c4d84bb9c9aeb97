import CSIEvents
import Foundation
import Logging
import MQTTBridge
import ServiceLifecycle

/// Feeds the ``MQTTBridge`` from the ``EventHub``: one more consumer of the daemon's events, next to the
/// socket's subscribers (data flows one way: it never calls into the pipeline). At each heartbeat it also hands
/// the bridge every stream's rate, model and calibration from the daemon's latest status snapshot (refreshed by
/// the runner every 0.5 s). On shutdown, after the pipeline has stopped, it
/// forwards what the hub still holds, publishes `offline` and disconnects.
struct MQTTService: Service {
    let bridge: MQTTBridge
    let hub: EventHub
    /// The runner's latest status snapshot.
    let status: @Sendable () -> DaemonStatusSnapshot
    let logger: Logger

    func run() async {
        let subscription = hub.subscribeEvents(capacity: 8192)
        bridge.start()
        await withGracefulShutdownHandler {
            for await event in subscription.events {
                bridge.handle(event)
                if event.type == .daemonHeartbeat {
                    bridge.update(diagnostics: Self.diagnostics(status().streams))
                    let dropped = hub.takeDrops(for: subscription.id)
                    if dropped > 0 { logger.warning("mqtt: \(dropped) events dropped before the bridge (it fell behind)") }
                }
            }
        } onGracefulShutdown: {
            hub.finish(subscription.id)
        }
        hub.unsubscribe(subscription.id)
        // The drain waits on the connection thread: off Swift's cooperative pool.
        let stopping = bridge
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                stopping.stop(drainSeconds: 0.7)
                done.resume()
            }
        }
        let counters = bridge.counters
        let falls = counters.published[EventType.fallDetected.rawValue] ?? 0
        let summary = "sent=\(counters.sent) queued=\(counters.queued) dropped=\(counters.dropped) "
            + "dropped_qos1=\(counters.droppedQoS1) connections=\(counters.connections) fall_detected=\(falls)"
        logger.info("mqtt: stopped: \(summary)")
    }

    /// Per-stream diagnostics (rate, model, calibration summary) from the streams of a status snapshot.
    static func diagnostics(_ streams: [StreamSnapshot]) -> [String: MQTTStreamDiagnostics] {
        var result: [String: MQTTStreamDiagnostics] = [:]
        for stream in streams {
            let calibration = stream.calibration.map {
                MQTTStreamDiagnostics.Calibration(head: $0.head, baseline: $0.baseline, created: $0.created)
            }
            result[stream.key] = MQTTStreamDiagnostics(rateHz: stream.framesPerSecond, model: stream.model,
                                                       calibration: calibration)
        }
        return result
    }
}
