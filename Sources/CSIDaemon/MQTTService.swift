import CSIEvents
import Foundation
import Logging
import MQTTBridge
import ServiceLifecycle

/// Feeds the ``MQTTBridge`` from the ``EventHub``: one more consumer of the daemon's events, next to the
/// socket's subscribers (data flows one way: it never calls into the pipeline). At each heartbeat it also hands
/// the bridge every stream's rate, model and calibration from the daemon's latest `status` (the text the runner
/// refreshes every 0.5 s for the socket's `status` replies). On shutdown, after the pipeline has stopped, it
/// forwards what the hub still holds, publishes `offline` and disconnects.
struct MQTTService: Service {
    let bridge: MQTTBridge
    let hub: EventHub
    /// The runner's latest `status` JSON.
    let status: @Sendable () -> String
    let logger: Logger

    func run() async {
        let subscription = hub.subscribeEvents(capacity: 8192)
        bridge.start()
        await withGracefulShutdownHandler {
            for await event in subscription.events {
                bridge.handle(event)
                if event.type == .daemonHeartbeat {
                    bridge.update(diagnostics: Self.diagnostics(status: status()))
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

    /// Per-stream diagnostics from a `status` reply's `streams` (rate, model, calibration summary).
    static func diagnostics(status text: String) -> [String: MQTTStreamDiagnostics] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let streams = object["streams"] as? [[String: Any]] else { return [:] }
        var result: [String: MQTTStreamDiagnostics] = [:]
        for stream in streams {
            guard let key = stream["stream"] as? String else { continue }
            var calibration: MQTTStreamDiagnostics.Calibration?
            if let summary = stream["calibration"] as? [String: Any] {
                calibration = .init(head: summary["head"] as? Bool ?? false, baseline: summary["baseline"] as? Bool ?? false,
                                    created: summary["created"] as? String ?? "")
            }
            result[key] = MQTTStreamDiagnostics(rateHz: (stream["frames_per_second"] as? NSNumber)?.doubleValue ?? 0,
                                                model: stream["model"] as? String, calibration: calibration)
        }
        return result
    }
}
