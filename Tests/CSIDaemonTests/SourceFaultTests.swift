import CPcap
import CSICapture
import CSIEvents
import Foundation
import NIOCore
import Testing
@testable import CSIDaemon

/// Faulty sources: a followed capture that grows (mid-record too), is truncated and is rotated; a live interface
/// that is missing, comes up, goes down and comes back (fake capture: stream.up, source-lost, stream.down,
/// retries with backoff, restart, stream.up); a source flooding far beyond what the pipeline can take (a bounded
/// queue sheds the oldest frames; every frame is accounted for).
@Suite(.serialized) struct SourceFaultTests {
    /// The Intel 5300 records of a sample capture (2-byte big-endian length + that many bytes, each).
    private func intelRecords() throws -> [[UInt8]] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/samples/living-room-intel5300.dat")))
        var records: [[UInt8]] = [], index = 0
        while index + 2 <= data.count {
            let length = Int(data[index]) << 8 | Int(data[index + 1])
            guard index + 2 + length <= data.count else { break }
            records.append(Array(data[index..<(index + 2 + length)]))
            index += 2 + length
        }
        return records
    }

    private func append(_ records: ArraySlice<[UInt8]>, to path: String, truncate: Bool = false) {
        let descriptor = open(path, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : O_APPEND), 0o644)
        defer { close(descriptor) }
        let bytes = records.flatMap { $0 }
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    @Test func followedCaptureThatGrowsIsTruncatedAndRotatedIsReadThroughWithCounters() throws {
        let records = try intelRecords()
        #expect(records.count > 400)
        let path = temporarySocketPath("follow") + ".dat"
        defer { unlink(path); unlink(path + ".1") }
        append(records[0..<100], to: path)
        let source = try ReplaySource(path: path, speed: 0, loop: false, follow: true, checkInterval: 0)
        var clock = 0.0, times: [Double] = [], problems: [SourceProblem] = []
        /// Polls until the source has waited several times in a row; returns the frames read.
        func drain() -> Int {
            var frames = 0, waits = 0
            while waits < 4 {
                clock += 0.01
                switch source.poll(now: clock) {
                case .frame(let frame):
                    times.append(frame.timestamp)
                    frames += 1
                    waits = 0
                case .wait: waits += 1
                case .ended(let reason), .lost(let reason):
                    Issue.record("a followed file never ends: \(reason)")
                    return frames
                }
            }
            problems += source.takeProblems()
            return frames
        }
        #expect(drain() == 100)
        append(records[100..<250], to: path)
        #expect(drain() == 150, "the file grew")
        append([Array(records[250].prefix(100))], to: path)
        #expect(drain() == 0, "half a record: wait for the rest")
        append([Array(records[250].dropFirst(100))], to: path)
        #expect(drain() == 1, "the rest of the record arrived")

        // Truncated and rewritten from the start (its clock restarts): read from the start, time keeps increasing.
        append(records[0..<40], to: path, truncate: true)
        #expect(drain() == 40, "read again from the start after truncation")
        #expect(source.counters.truncations == 1)

        // Rotated: more lines go to the old file (even after the rename), then a new file takes the name.
        append(records[40..<60], to: path)
        rename(path, path + ".1")
        append(records[60..<70], to: path + ".1")
        append(records[300..<330], to: path)
        #expect(drain() == 60, "the old file read to its end (30 frames), then the new one (30)")
        #expect(source.counters.rotations == 1)

        let decreasing = zip(times, times.dropFirst()).filter { $0 >= $1 }.count
        print("followed file: \(source.counters.framesRead) frames, \(source.counters.truncations) truncation, "
              + "\(source.counters.rotations) rotation, problems \(problems.map(\.kind)), non-increasing timestamps \(decreasing)")
        #expect(source.counters.framesRead == 351)
        #expect(decreasing == 0, "capture time keeps increasing across truncation and rotation")
        #expect(problems.map(\.kind) == ["source-truncated", "source-rotated"])
        #expect(problems.allSatisfy { !$0.countsAsRecordIssue })
    }

    @Test func followedCaptureThroughTheRealDaemonCountsAndLogsTruncationAndRotation() throws {
        guard DaemonProcess.available("followedCaptureThroughTheRealDaemon") else { return }
        let records = try intelRecords()
        let path = temporarySocketPath("followd") + ".dat", socket = temporarySocketPath("followd")
        defer { unlink(path); unlink(path + ".1") }
        append(records[0..<200], to: path)
        let daemon = try DaemonProcess(arguments: ["--source", "replay:" + path, "--follow", "--speed", "max", "--socket", socket])
        #expect(waitForSocket(socket), "\(daemon.log)")
        let subscriber = try TestClient(path: socket)
        subscriber.send("{\"request\":\"status\"}\n")
        var lines = subscriber.readLines(seconds: 10) { $0.contains { object($0)["type"] as? String == "status" } }
        /// Waits until the source's counters satisfy `condition` (status is refreshed every 0.5 s).
        func sourceCounters(_ condition: ([String: Any]) -> Bool) -> [String: Any] {
            var source: [String: Any] = [:]
            for _ in 0..<100 {
                source = (DaemonProbe.status(socket: socket)["sources"] as? [[String: Any]])?.first ?? [:]
                if condition(source) { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return source
        }
        #expect(sourceCounters { $0["frames_read"] as? Int == 200 }["frames_read"] as? Int == 200)
        append(records[200..<300], to: path)
        #expect(sourceCounters { $0["frames_read"] as? Int == 300 }["frames_read"] as? Int == 300, "grew")
        append(records[0..<50], to: path, truncate: true)
        let truncated = sourceCounters { $0["frames_read"] as? Int == 350 && $0["truncations"] as? Int == 1 }
        #expect(truncated["frames_read"] as? Int == 350 && truncated["truncations"] as? Int == 1, "truncated: \(truncated)")
        rename(path, path + ".1")
        append(records[50..<90], to: path)
        let rotated = sourceCounters { $0["frames_read"] as? Int == 390 && $0["rotations"] as? Int == 1 }
        #expect(rotated["frames_read"] as? Int == 390 && rotated["rotations"] as? Int == 1, "rotated: \(rotated)")
        lines += subscriber.readLines(seconds: 1)
        let kinds = lines.map(object).filter { $0["type"] as? String == "stream.error" }.compactMap { $0["kind"] as? String }
        let logged = daemon.log.split(separator: "\n").filter { $0.contains("source-truncated") || $0.contains("source-rotated") }
        print("followed file through csihard: \(rotated); stream.error kinds \(kinds); log \(logged.map { $0.suffix(110) })")
        #expect(kinds == ["source-truncated", "source-rotated"])
        #expect(logged.count == 2, "one log line each: \(daemon.log)")
        #expect(!lines.contains { object($0)["type"] as? String == "stream.down" }, "the stream stays up")
        #expect(daemon.terminate().status == 0)
    }

    @Test func interfaceDownAndBackGoesThroughSourceLostRetriesAndRecovery() async throws {
        let interface = FakeInterface()
        let source = LiveSource(name: "pcap:fake0", initialBackoff: 0.01, maximumBackoff: 0.08) {
            FakeCapture(interface: interface, queueCapacity: 256)
        }
        var options = DaemonRunner.Options()
        options.heartbeatSeconds = 0.05
        let hub = EventHub(queueCapacity: 100_000)
        let events = EventCollector(hub.subscribe(filter: SubscriptionFilter(types: Set(EventType.allCases))))
        let logs = EventCollector.Lines()
        let runner = try DaemonRunner(options: options, classifier: nil, hub: hub, sources: [source], log: { logs.append($0) })
        runner.start()
        defer { runner.stop() }
        func errors(_ kind: String) -> Int { events.all.filter { $0["type"] as? String == "stream.error" && $0["kind"] as? String == kind }.count }
        func count(_ type: String) -> Int { events.all.filter { $0["type"] as? String == type }.count }

        #expect(await events.wait { _ in errors("source-unavailable") >= 2 }, "a missing interface is retried")
        interface.setUp(true)
        #expect(await interface.waitAttached(), "capture started once the interface is up")
        interface.emit(count: 200, from: 0)
        #expect(await events.wait { _ in count("stream.up") == 1 })
        let retriesBefore = errors("source-unavailable")

        interface.setUp(false)
        #expect(await events.wait { _ in count("stream.down") == 1 }, "the stream goes down when the interface does")
        #expect(await events.wait { _ in errors("source-unavailable") >= retriesBefore + 2 }, "retried with backoff while down")
        interface.setUp(true)
        #expect(await interface.waitAttached())
        interface.emit(count: 200, from: 10)
        #expect(await events.wait { _ in count("stream.up") == 2 }, "the stream comes back with the interface")
        runner.stop()

        let kinds = events.all.compactMap { event -> String? in
            switch event["type"] as? String {
            case "stream.up": return "up"
            case "stream.down": return "down:\(event["reason"] as? String ?? "?")"
            case "stream.error": return event["kind"] as? String == "source-unavailable" ? nil : event["kind"] as? String
            default: return nil
            }
        }
        print("interface down and back: \(kinds); retries while missing \(errors("source-unavailable")); "
              + "losses \(source.counters.losses), starts \(source.counters.starts); log: \(logs.all.filter { $0.contains("fake0") }.prefix(4))")
        #expect(Array(kinds.prefix(4)) == ["up", "source-lost", "down:source-lost", "up"])
        #expect(source.counters.losses == 1 && source.counters.starts == 2)
        #expect(logs.all.contains { $0.contains("pcap:fake0: source-lost: interface fake0 went down") })
    }

    @Test func aFloodIsShedAtTheBoundedQueueAndEveryFrameIsAccountedFor() async throws {
        let interface = FakeInterface()
        let capacity = 256
        let source = LiveSource(name: "pcap:flood0", initialBackoff: 0.01) {
            FakeCapture(interface: interface, queueCapacity: capacity)
        }
        var options = DaemonRunner.Options()
        options.heartbeatSeconds = 0.05
        let hub = EventHub(queueCapacity: 100_000)
        let events = EventCollector(hub.subscribe(filter: SubscriptionFilter(types: Set(EventType.allCases))))
        let classifier = GatedClassifier()
        let runner = try DaemonRunner(options: options, classifier: classifier, hub: hub, sources: [source])
        interface.setUp(true)
        runner.start()
        defer { runner.stop() }
        #expect(await interface.waitAttached())
        // 20000 frames at 1 kHz capture time (10x a 100 Hz link) pushed at once, while the pipeline is held in
        // its first classification: the bounded queue must shed the oldest frames, never grow.
        let total = 20_000
        interface.emit(count: total, from: 0, period: 0.001)
        classifier.open()
        var status: [String: Any] = [:]
        for _ in 0..<400 {
            status = object(runner.statusJSON)
            if status["frames_read"] as? Int == total, let frames = status["frames"] as? Int,
               let dropped = status["frames_dropped"] as? Int, frames + dropped == total { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(await events.wait { all in all.contains { $0["type"] as? String == "daemon.heartbeat" && ($0["frames_dropped"] as? Int ?? 0) > 0 } })
        runner.stop()
        let counters = source.counters
        let frames = status["frames"] as? Int ?? -1
        let shed = events.all.filter { $0["type"] as? String == "stream.error" && $0["kind"] as? String == "load-shed" }
        print("flood of \(total) frames into a \(capacity)-frame queue: read \(counters.framesRead), into the pipeline \(frames), "
              + "dropped \(counters.framesDropped), queue high water \(counters.queueHighWater); load-shed notices \(shed.count): "
              + "\(shed.first?["message"] as? String ?? "none")")
        #expect(counters.framesRead == total)
        #expect(counters.framesDropped > 0, "load was shed")
        #expect(frames + counters.framesDropped == total, "every frame is either processed or counted as dropped")
        #expect(counters.queueHighWater <= capacity)
        #expect(shed.count >= 1)
    }
}

/// A network interface the test switches up and down; captures attach to it while it is up.
final class FakeInterface: @unchecked Sendable {
    private let lock = NSLock()
    private var up = false
    private var attached: FakeCapture?

    /// Up: captures may start. Down: starting fails, and a running capture reports a `capture-error`.
    func setUp(_ value: Bool) {
        let failing: FakeCapture? = lock.withLock {
            up = value
            guard !value else { return nil }
            defer { attached = nil }
            return attached
        }
        failing?.fail("interface fake0 went down")
    }

    func attach(_ capture: FakeCapture) throws {
        try lock.withLock {
            guard up else { throw CaptureError(source: "live:fake0", reason: "cannot capture: no such device exists") }
            attached = capture
        }
    }

    func detach(_ capture: FakeCapture) { lock.withLock { if attached === capture { attached = nil } } }

    /// Waits until a capture is attached.
    func waitAttached() async -> Bool {
        for _ in 0..<500 {
            if lock.withLock({ attached != nil }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Delivers `count` frames (capture time `from + i * period`) to the attached capture, as its thread would.
    func emit(count: Int, from: Double, period: Double = 0.01) {
        guard let capture = lock.withLock({ attached }) else { return }
        for index in 0..<count {
            capture.deliver(syntheticFrame(time: from + Double(index) * period, loud: index % 2, jitter: Float(index % 5)))
        }
    }
}

/// A live capture on a ``FakeInterface``.
final class FakeCapture: LiveCapture, @unchecked Sendable {
    let interface: FakeInterface
    var onIssue: (@Sendable (CaptureIssue) -> Void)?
    var issueCounts: [String: Int] { [:] }
    /// The frames the "capture thread" (the test) delivers.
    private let frames: BoundedFrameQueue
    private let lock = NSLock()
    private var failed: String?

    init(interface: FakeInterface, queueCapacity: Int = 4096) {
        self.interface = interface
        frames = BoundedFrameQueue(capacity: queueCapacity)
    }

    /// Set when the interface went down under the capture.
    var failure: String? { lock.withLock { failed } }

    func start() throws { try interface.attach(self) }

    func stop() { interface.detach(self) }
    func nextFrame() throws -> CSIFrame? { frames.pop() }
    var queueCounters: BoundedFrameQueue.Counters { frames.counters }
    func deliver(_ frame: CSIFrame) { frames.push(frame) }
    func fail(_ reason: String) {
        lock.withLock { failed = reason }
        onIssue?(CaptureIssue(source: "live:fake0", offset: 0, kind: "capture-error", reason: reason))
    }
}

/// A classifier that holds the pipeline thread in its first batch until ``open()``.
final class GatedClassifier: WindowClassifier, @unchecked Sendable {
    let labels = ["idle", "walk"]
    let steps = 50, features = 90
    let sampleRateHz = 50.0
    let name = "gated-test-classifier"
    private let gate = DispatchSemaphore(value: 0)

    func open() { gate.signal() }

    func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int, into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        gate.wait()
        gate.signal()
        for index in 0..<(batch * labels.count) { probabilities[index] = index % 2 == 0 ? 0.9 : 0.1 }
    }
}

/// Collects a hub subscription's events (decoded) on a background task.
final class EventCollector: @unchecked Sendable {
    /// Thread-safe log lines.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    private let lock = NSLock()
    private var events: [[String: Any]] = []
    private var task: Task<Void, Never>?

    init(_ subscription: EventHub.Subscription) {
        task = Task.detached { [weak self] in
            for await line in subscription.lines {
                let decoded = object(String(buffer: line))
                self?.lock.withLock { self?.events.append(decoded) }
            }
        }
    }

    deinit { task?.cancel() }

    /// Every event so far.
    var all: [[String: Any]] { lock.withLock { events } }

    /// Waits (up to 10 s) until `condition` holds for the events so far.
    func wait(_ condition: ([[String: Any]]) -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if condition(all) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}

/// The same through the real csihard and a real interface: a veth pair (created when `ip link add ... type veth`
/// works, i.e. as root with veth support; skipped otherwise). Nexmon frames from a sample pcap are injected on
/// one end and captured on the other; the capturing end is set down (the stream goes down, source-lost), then up
/// again (the capture restarts after its backoff and the stream comes back).
@Suite(.serialized) struct InterfaceFaultTests {
    /// Runs `ip ARGS`; true on success.
    @discardableResult
    private func ip(_ arguments: [String]) -> Bool { VethPair.ip(arguments) }

    /// The link-layer packets of a pcap file (classic format, any byte order).
    private func packets(_ path: String) throws -> [[UInt8]] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let swapped = data.prefix(4) == [0xa1, 0xb2, 0xc3, 0xd4]
        func u32(_ at: Int) -> Int {
            let bytes = data[at..<(at + 4)].map(UInt32.init)
            return Int(swapped ? bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]
                               : bytes[3] << 24 | bytes[2] << 16 | bytes[1] << 8 | bytes[0])
        }
        var result: [[UInt8]] = [], index = 24
        while index + 16 <= data.count {
            let length = u32(index + 8)
            guard index + 16 + length <= data.count else { break }
            result.append(Array(data[(index + 16)..<(index + 16 + length)]))
            index += 16 + length
        }
        return result
    }

    @Test func vethCaptureGoesDownAndComesBack() throws {
        guard DaemonProcess.available("vethCaptureGoesDownAndComesBack") else { return }
        let sender = "csih\(getpid() % 100_000)s", receiver = "csih\(getpid() % 100_000)r"
        guard getuid() == 0, ip(["link", "add", sender, "type", "veth", "peer", "name", receiver]) else {
            print("SKIPPED vethCaptureGoesDownAndComesBack: cannot create a veth pair here (needs root and veth support)")
            return
        }
        defer { ip(["link", "del", sender]) }
        ip(["link", "set", sender, "up"])
        ip(["link", "set", receiver, "up"])
        let frames = try packets(repositoryRoot + "/samples/office-nexmon4366c0.pcap")
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var injector = pcap_open_live(sender, 65535, 0, 10, &errorBuffer)
        guard injector != nil else {
            Issue.record("cannot open \(sender) for injection: \(String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
            return
        }
        defer { if let injector { pcap_close(injector) } }   // reopened after the pair is re-created
        func inject(_ range: Range<Int>) {
            guard let injector else { return }
            for frame in frames[range] { _ = frame.withUnsafeBytes { pcap_inject(injector, $0.baseAddress, $0.count) } }
        }

        let socket = temporarySocketPath("veth")
        let config = try DaemonProbe.temporaryFile("[sources]\nretry_max_seconds = 1\n[pipeline]\nsilence_seconds = 1\n", name: "veth")
        let daemon = try DaemonProcess(arguments: ["--source", "pcap:" + receiver, "--config", config, "--socket", socket,
                                                   "--heartbeat-seconds", "0.2"])
        #expect(waitForSocket(socket), "\(daemon.log)")
        let subscriber = try TestClient(path: socket)
        var lines: [String] = []
        /// Reads (injecting `range` meanwhile) until an event of `type` arrives after line `mark`.
        func arrived(_ type: String, after mark: Int, injecting range: Range<Int>? = nil) -> Bool {
            for _ in 0..<40 {
                if let range { inject(range) }
                lines += subscriber.readLines(seconds: 0.25)
                if lines.dropFirst(mark).contains(where: { object($0)["type"] as? String == type }) { return true }
            }
            return false
        }
        /// `stream.down` reasons after line `mark`.
        func downs(after mark: Int) -> Set<String> {
            Set(lines.dropFirst(mark).map(object).filter { $0["type"] as? String == "stream.down" }.compactMap { $0["reason"] as? String })
        }
        // Subscribed for sure once a status reply came back on this connection; then the first frames go out.
        subscriber.send("{\"request\":\"status\"}\n")
        lines += subscriber.readLines(seconds: 10) { $0.contains { object($0)["type"] as? String == "status" } }
        #expect(arrived("stream.up", after: 0, injecting: 0..<50), "frames injected on \(sender) reach the pipeline: \(daemon.log)")
        // Down (libpcap keeps the capture open): the streams fall silent and go down; up: they come back.
        var mark = lines.count
        ip(["link", "set", receiver, "down"])
        #expect(arrived("stream.down", after: mark), "the streams go down with the interface: \(daemon.log)")
        let downWhileDown = downs(after: mark)
        mark = lines.count
        ip(["link", "set", receiver, "up"])
        #expect(arrived("stream.up", after: mark, injecting: 50..<100), "frames again once the interface is up: \(daemon.log)")
        // Removed: the capture fails (source-lost), retries with backoff, and restarts once the interface is back.
        mark = lines.count
        ip(["link", "del", sender])
        #expect(arrived("stream.down", after: mark), "the streams go down when the interface disappears: \(daemon.log)")
        let downWhenRemoved = downs(after: mark)
        ip(["link", "add", sender, "type", "veth", "peer", "name", receiver])
        ip(["link", "set", sender, "up"])
        ip(["link", "set", receiver, "up"])
        if let old = injector { pcap_close(old) }
        injector = pcap_open_live(sender, 65535, 0, 10, &errorBuffer)
        mark = lines.count
        #expect(arrived("stream.up", after: mark, injecting: 100..<150), "the capture restarts and the streams come back: \(daemon.log)")
        let kinds = lines.map(object).filter { $0["type"] as? String == "stream.error" }.compactMap { $0["kind"] as? String }
            .filter { $0 != "features" }
        var source: [String: Any] = [:]
        for _ in 0..<40 {     // status is refreshed every 0.5 s
            source = (DaemonProbe.status(socket: socket)["sources"] as? [[String: Any]])?.first ?? [:]
            if source["starts"] as? Int == 2 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        print("veth: set down -> stream.down \(downWhileDown.sorted()); removed -> stream.down \(downWhenRemoved.sorted()); "
              + "source errors \(kinds); source counters \(source); "
              + "log: \(daemon.log.split(separator: "\n").filter { $0.contains(receiver) }.suffix(4))")
        #expect(downWhileDown == ["silence"] && downWhenRemoved == ["source-lost"])
        #expect(kinds.contains("source-lost"))
        #expect(source["losses"] as? Int == 1 && source["starts"] as? Int == 2)
        #expect(daemon.log.contains("pcap:\(receiver): source-lost"))
        #expect(daemon.terminate().status == 0)
    }
}
