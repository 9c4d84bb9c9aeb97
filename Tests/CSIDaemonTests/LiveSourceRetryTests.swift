import CSICapture
import CSIEvents
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import CSIDaemon

/// A live device the test switches on and off: `present` decides whether a start succeeds, `disappear(_:)` ends a
/// running capture as a vanished interface ends libpcap's loop; frames are queued by the test.
final class FakeDevice: @unchecked Sendable {
    private let lock = NIOLock()
    private var present = true, failure: String?, frames: [CSIFrame] = []
    private(set) var attempts: [Bool] = []

    func setPresent(_ value: Bool) { lock.withLock { present = value } }
    func disappear(_ reason: String) { lock.withLock { failure = reason; present = false } }
    func push(_ frame: CSIFrame) { lock.withLock { frames.append(frame) } }
    var pending: Int { lock.withLock { frames.count } }
    var startAttempts: [Bool] { lock.withLock { attempts } }

    /// A start attempt: succeeds (clearing the failure) when present.
    func start() throws {
        try lock.withLock {
            attempts.append(present)
            guard present else { throw CaptureError(source: "live:fake0", reason: "cannot capture: No such device exists") }
            failure = nil
        }
    }
    var currentFailure: String? { lock.withLock { failure } }
    func take() -> CSIFrame? { lock.withLock { failure == nil && !frames.isEmpty ? frames.removeFirst() : nil } }
}

/// One capture session on a ``FakeDevice`` (the daemon makes a new one per start attempt).
final class FakeLiveCapture: LiveCapture {
    let device: FakeDevice
    var issueCounts: [String: Int] { [:] }
    var onIssue: (@Sendable (CaptureIssue) -> Void)?
    init(device: FakeDevice) { self.device = device }
    func start() throws { try device.start() }
    func stop() {}
    var failure: String? { device.currentFailure }
    func nextFrame() throws -> CSIFrame? { device.take() }
    var queueCounters: BoundedFrameQueue.Counters { BoundedFrameQueue.Counters() }
}

/// A live interface that disappears while capturing: its streams go down (`source-lost`), the daemon retries with
/// growing backoff (`source-unavailable` errors naming the delay) and the stream comes back up once it is there.
@Suite struct LiveSourceRetryTests {
    private func waitUntil(seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }

    @Test func vanishedInterfaceGoesDownIsRetriedWithBackoffAndComesBack() async throws {
        let device = FakeDevice()
        let source = LiveSource(name: "pcap:fake0", initialBackoff: 0.05, maximumBackoff: 1) { FakeLiveCapture(device: device) }
        var options = DaemonRunner.Options()
        options.heartbeatSeconds = 3600
        options.pipeline.silenceSeconds = 3600   // wall-clock silence must not fire, even on a slow (sanitizer) run
        let hub = EventHub(queueCapacity: 100_000)
        let subscription = hub.subscribe(filter: SubscriptionFilter(types: [.streamUp, .streamDown, .streamError]))
        let runner = try DaemonRunner(options: options, classifier: AntennaClassifier(), hub: hub, sources: [source])
        runner.start()
        for index in 0..<150 { device.push(syntheticFrame(time: 100 + Double(index) / 100, loud: 0)) }
        #expect(await waitUntil { device.pending == 0 })
        device.disappear("fake0: The interface disappeared")
        // Absent for a while: the attempts at +0.05 s, +0.15 s, +0.35 s fail.
        #expect(await waitUntil { device.startAttempts.count(where: { !$0 }) >= 3 })
        device.setPresent(true)
        #expect(await waitUntil { device.startAttempts.last == true && device.startAttempts.count >= 5 })
        for index in 0..<150 { device.push(syntheticFrame(time: 110 + Double(index) / 100, loud: 0)) }
        #expect(await waitUntil { device.pending == 0 })
        runner.stop()
        hub.finishAll()

        var summary: [String] = []
        var delays: [Double] = []
        for await line in subscription.lines {
            let event = try JSONValue(parsing: String(buffer: line))
            guard case .string(let type)? = event["type"], type != "state" else { continue }   // the greeting
            switch type {
            case "stream.down":
                if case .string(let reason)? = event["reason"] { summary.append("down \(reason)") }
            case "stream.error":
                guard case .string(let kind)? = event["kind"], case .string(let message)? = event["message"] else { continue }
                if summary.last != "error \(kind)" { summary.append("error \(kind)") }
                if kind == "source-unavailable", let range = message.range(of: "retrying in ") {
                    delays.append(Double(message[range.upperBound...].prefix { $0 != " " }) ?? -1)
                }
            default:
                summary.append(type == "stream.up" ? "up" : type)
            }
        }
        print("vanished interface: \(summary.joined(separator: ", ")); start attempts \(device.startAttempts); "
              + "announced retry delays \(delays) s")
        #expect(summary == ["up", "error source-lost", "down source-lost", "error source-unavailable", "up", "down shutdown"])
        #expect(delays.count >= 2 && delays == delays.sorted() && delays[0] < delays[1] && delays.allSatisfy { $0 <= 1 },
                "backoff doubles up to the maximum (1 s here)")
    }
}
