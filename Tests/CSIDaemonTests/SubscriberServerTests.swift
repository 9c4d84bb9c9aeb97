import CSIEvents
import CSITestSupport
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing
@testable import CSIDaemon

/// The NIO server with a hub fed by the test: filters, bounded queues, stalled subscribers, bad requests, stale sockets.
@Suite(.serialized) struct SubscriberServerTests {
    /// Runs a server on a fresh socket while `body` runs, then shuts it down gracefully; returns shutdown seconds.
    @discardableResult
    private func withServer(hub: EventHub, _ body: (String) async throws -> Void) async throws -> Double {
        let path = temporarySocketPath("server")
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let server = SubscriberServer(hub: hub, binding: .path(path, mode: 0o660, group: nil), logger: logger)
        let group = ServiceGroup(services: [server], logger: logger)
        let task = Task { try await group.run() }
        // Up to 60 s: in a full parallel run, tests that block threads can hold Swift's small cooperative pool.
        for _ in 0..<6000 where SocketPath.probe(path) != 0 { try await Task.sleep(for: .milliseconds(10)) }
        // The probe connected as a subscriber; wait until it has left so counts below are the test's own.
        for _ in 0..<6000 where hub.subscriberCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
        try await body(path)
        let start = Date()
        await group.triggerGracefulShutdown()
        try await task.value
        let seconds = Date().timeIntervalSince(start)
        #expect(!FileManager.default.fileExists(atPath: path), "socket file removed on shutdown")
        return seconds
    }

    private func event(_ seq: Int, _ payload: EventPayload, stream: String? = "s1") -> Event {
        Event(seq: UInt64(seq), time: Double(seq), wallTime: 1_800_000_000, stream: stream, payload: payload)
    }

    @Test func defaultFilterSkipsPredictionsAndARequestChangesIt() async throws {
        let hub = EventHub()
        try await withServer(hub: hub) { path in
            let client = try await connectedClient(hub: hub, path: path)
            #expect(hub.wants(.prediction) == false)
            hub.publish(event(1, .prediction(labels: ["a"], probabilities: [1], motionEnergy: 0)))
            hub.publish(event(2, .activityStarted(activity: "walk", confidence: 0.9)))
            let lines = client.readLines(seconds: 2) { $0.contains { object($0)["seq"] as? Int == 2 } }
                .filter { object($0)["stream"] as? String != "marker" }
            #expect(lines.map { object($0)["type"] as? String } == ["activity.started"], "the prediction was filtered out")

            client.send("{\"types\":[\"prediction\",\"stream.up\"],\"streams\":[\"s2\"]}\n")
            for _ in 0..<100 where !hub.wants(.prediction) { try await Task.sleep(for: .milliseconds(10)) }
            hub.publish(event(3, .prediction(labels: ["a"], probabilities: [1], motionEnergy: 0), stream: "s1"))
            hub.publish(event(4, .prediction(labels: ["a"], probabilities: [1], motionEnergy: 0), stream: "s2"))
            hub.publish(event(5, .activityStarted(activity: "walk", confidence: 0.9), stream: "s2"))
            hub.publish(event(6, .streamUp(source: "x", device: "y"), stream: "s2"))
            let filtered = client.readLines(seconds: 2) { $0.count >= 2 }
            #expect(filtered.map { object($0)["seq"] as? Int } == [4, 6])
        }
    }

    @Test func malformedAndOversizedRequestsGetAnErrorLine() async throws {
        let hub = EventHub()
        try await withServer(hub: hub) { path in
            let client = try TestClient(path: path)
            client.send("{not json\n")
            client.send("{\"types\":[\"nope\"]}\n")
            // the `state` greeting (before any event; replies to requests may overtake it) and the two error replies
            let lines = client.readLines(seconds: 2) { $0.count >= 3 }
            #expect(lines.filter { object($0)["type"] as? String == "state" }.count == 1)
            let errors = lines.filter { object($0)["type"] as? String != "state" }
            #expect(errors.count == 2)
            #expect(errors.allSatisfy { object($0)["type"] as? String == "error" })
            #expect((object(errors.last ?? "")["message"] as? String)?.contains("nope") == true)

            let flooder = try TestClient(path: path)
            flooder.send(String(repeating: "x", count: 10_000))
            let reply = flooder.readLines(seconds: 2) { $0.count >= 2 }.filter { object($0)["type"] as? String != "state" }
            #expect((object(reply.first ?? "")["message"] as? String)?.contains("longer than 4096") == true)
        }
    }

    /// Connects a subscriber and returns once its writer is live (a marker event published until it arrives), so
    /// nothing the test publishes next is dropped while the connection is still being set up.
    private func connectedClient(hub: EventHub, path: String, receiveBuffer: Int32? = nil) async throws -> TestClient {
        let client = try TestClient(path: path, receiveBuffer: receiveBuffer)
        for _ in 0..<200 {
            hub.publish(event(0, .streamUp(source: "marker", device: "marker"), stream: "marker"))
            if !client.readLines(seconds: 0.05, until: { !$0.isEmpty }).isEmpty { return client }
        }
        throw POSIXError(.ETIMEDOUT)
    }

    @Test func stalledSubscriberNeitherDelaysAFastOneNorShutdown() async throws {
        let hub = EventHub(queueCapacity: 256)
        let shutdown = try await withServer(hub: hub) { path in
            // Baseline: the fast subscriber alone.
            let alone = try await fastDelivery(hub: hub, path: path, firstSeq: 1)
            // The same load beside a subscriber that never reads.
            let stalled = try await connectedClient(hub: hub, path: path, receiveBuffer: 1024)
            let beside = try await fastDelivery(hub: hub, path: path, firstSeq: 10_001)
            let stalledDrops = hub.droppedTotal
            print("fast subscriber, 4000 events: alone \(alone.seconds) s (\(alone.seqs.count) received); beside a stalled "
                  + "one \(beside.seconds) s (\(beside.seqs.count) received); dropped for the stalled one \(stalledDrops)")
            #expect(alone.seqs.count == 4000 && alone.seqs.first == 1 && alone.seqs.last == 4000)
            #expect(beside.seqs.count == 4000 && beside.seqs == beside.seqs.sorted() && beside.seqs.last == 14_000,
                    "fast subscriber got every event, in order")
            #expect(stalledDrops > 1000, "the stalled subscriber's queue dropped its oldest lines")
            if beside.seconds < alone.seconds + 1 || Sanitizer.keepsPace("fast subscriber within 1 s of its time alone") {
                #expect(beside.seconds < alone.seconds + 1, "not delayed by the stalled subscriber")
            }
            _ = stalled
        }
        print("graceful shutdown with a stalled subscriber took \(shutdown) s")
        #expect(shutdown < 2)
    }

    /// Publishes 4000 events paced in bursts of 40 to a fresh subscriber reading as fast as it can; returns the
    /// sequence numbers it read and the seconds from first publish to last line read. The subscriber leaves after.
    private func fastDelivery(hub: EventHub, path: String, firstSeq: Int) async throws -> (seqs: [Int], seconds: Double) {
        let fast = try await connectedClient(hub: hub, path: path)
        let last = firstSeq + 3999
        // The reader runs on a thread of its own and reports how far it got; the publisher never runs more than
        // half a queue ahead of it, so what the fast subscriber gets does not depend on how busy the machine is.
        let progress = NIOLockedValueBox(0)
        let reader = Task {
            try await offPool {
                fast.readTimedLines(seconds: 30) { line, _ in
                    let seq = object(line)["seq"] as? Int ?? 0
                    if seq > 0 { progress.withLockedValue { $0 = seq } }
                    return seq == last
                }.map(\.line)
            }
        }
        let start = Date()
        for seq in firstSeq...last {
            hub.publish(event(seq, .activityStarted(activity: "walk", confidence: 0.5), stream: "s1"))
            if seq % 40 == 0 {
                while seq - progress.withLockedValue({ $0 }) > hub.queueCapacity / 2 && Date().timeIntervalSince(start) < 30 {
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
        }
        let lines = try await reader.value
        let seconds = Date().timeIntervalSince(start)
        return (lines.compactMap { object($0)["seq"] as? Int }.filter { $0 > 0 }, seconds)
    }

    @Test func gapNoticeTellsASlowSubscriberHowManyItMissed() async throws {
        let hub = EventHub(queueCapacity: 8)
        try await withServer(hub: hub) { path in
            let slow = try await connectedClient(hub: hub, path: path, receiveBuffer: 1024)
            for seq in 1...2000 { hub.publish(event(seq, .activityStarted(activity: "walk", confidence: 0.5))) }
            let lines = slow.readLines(seconds: 5) { ($0.last.map { object($0)["seq"] as? Int } ?? nil) == 2000 }
                .filter { object($0)["stream"] as? String != "marker" }
            let gaps = lines.filter { object($0)["type"] as? String == "subscriber.gap" }
            let dropped = gaps.compactMap { object($0)["dropped"] as? Int }.reduce(0, +)
            let delivered = lines.count - gaps.count
            print("slow subscriber: delivered \(delivered), gap notices \(gaps.count) reporting \(dropped) dropped")
            #expect(!gaps.isEmpty)
            #expect(delivered + dropped == 2000, "every event either delivered or counted in a gap notice")
        }
    }

    @Test func manySubscribersComingAndGoingLeaveNothingBehind() async throws {
        let hub = EventHub()
        try await withServer(hub: hub) { path in
            let before = residentKilobytes()
            for round in 0..<5 {
                var clients: [TestClient] = []
                for _ in 0..<100 { clients.append(try TestClient(path: path)) }
                // Under load the server may still be accepting the previous round's closed connections (they
                // register, see the end of input and leave): wait for exactly this round's 100.
                for _ in 0..<1000 where hub.subscriberCount != 100 { try await Task.sleep(for: .milliseconds(10)) }
                #expect(hub.subscriberCount == 100)
                for seq in 0..<50 { hub.publish(event(round * 50 + seq, .activityStarted(activity: "walk", confidence: 0.5))) }
                clients.removeAll()
                for _ in 0..<300 where hub.subscriberCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
                if hub.subscriberCount == 0 || Sanitizer.keepsPace("every subscriber removed within 3 s") {
                    #expect(hub.subscriberCount == 0)
                }
            }
            let after = residentKilobytes()
            print("RSS before \(before) kB, after 500 subscribers came and went \(after) kB")
            if Sanitizer.measuresMemory("RSS bound after 500 subscribers") {
                #expect(after - before < 20_000)
            }
        }
    }

    @Test func liveSocketIsNeverRemovedAndStaleOneIs() async throws {
        let hub = EventHub()
        try await withServer(hub: hub) { path in
            #expect(throws: SocketPath.Failure.self) { try SocketPath.prepare(path) }
            #expect(FileManager.default.fileExists(atPath: path))
        }
        // A stale socket (bound, nobody listening) is replaced.
        let stale = temporarySocketPath("stale")
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(stale.utf8))
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(descriptor)
        #expect(SocketPath.probe(stale) == ECONNREFUSED)
        try SocketPath.prepare(stale)
        #expect(!FileManager.default.fileExists(atPath: stale))
        // A regular file is never replaced.
        let regular = temporarySocketPath("regular")
        _ = FileManager.default.createFile(atPath: regular, contents: Data())
        #expect(throws: SocketPath.Failure.self) { try SocketPath.prepare(regular) }
        unlink(regular)
    }

    /// A socket path that cannot be bound (missing directory, too long) stops the server with one line naming the
    /// path and the reason, never a raw NIO/errno dump.
    @Test func unusableSocketPathGivesOneClearLine() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let missing = "/tmp/csihar-no-such-dir-\(getpid())/events.sock"
        let server = SubscriberServer(hub: EventHub(), binding: .path(missing, mode: 0o660, group: nil), logger: logger)
        var message = ""
        do { try await server.run() } catch { message = "\(error)" }
        print("missing directory: \(message)")
        #expect(message.hasPrefix("cannot listen on \(missing): No such file or directory"))
        #expect(message.contains("does not exist") && !message.contains("errno"))
        let long = "/tmp/" + String(repeating: "x", count: 120) + ".sock"
        #expect(throws: SocketPath.Failure.self) { try SocketPath.prepare(long) }
        do { try SocketPath.prepare(long) } catch { print("too long: \(error)"); #expect("\(error)".contains("at most 107 bytes")) }
    }
}

/// Resident set size of this process, kB.
func residentKilobytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}
