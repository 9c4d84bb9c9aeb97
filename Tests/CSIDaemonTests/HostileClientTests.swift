import CSITestSupport
import Foundation
import Testing
@testable import CSIDaemon

/// Hostile subscribers against the real csihard (replaying a sample in a loop, no model): clients that never
/// read, a 100 MB request line, malformed requests, 1000 connections at once, connect/disconnect storms, and the
/// SO_PEERCRED allow-list. Each checks that the daemon's resident memory stays bounded and that the pipeline
/// keeps going (its `frames` counter advances and a normal subscriber keeps getting heartbeats).
@Suite(.serialized) struct HostileClientTests {
    private let sample = repositoryRoot + "/samples/living-room-intel5300.dat"

    /// Starts csihard on a fresh socket; `config` (TOML text) and `extra` flags are added.
    private func startDaemon(_ name: String, config: String = "", extra: [String] = []) throws -> (DaemonProcess, String) {
        let socket = temporarySocketPath(name)
        var arguments = ["--source", "replay:" + sample, "--speed", "10", "--loop", "--socket", socket]
        if !config.isEmpty { arguments += ["--config", try DaemonProbe.temporaryFile(config, name: name)] }
        let daemon = try DaemonProcess(arguments: arguments + extra)
        guard waitForSocket(socket) else {
            Issue.record("the daemon did not listen: \(daemon.log)")
            throw POSIXError(.ETIMEDOUT)
        }
        return (daemon, socket)
    }

    /// A fresh subscriber reads heartbeats; true when it saw `count` of them with increasing `frames`.
    private func heartbeatsAdvance(socket: String, count: Int = 3) -> (ok: Bool, frames: [Int]) {
        guard let client = try? TestClient(path: socket) else { return (false, []) }
        // Until more than `count` heartbeats came and their frame count moved (heartbeats go on while a worker that
        // fell behind holds the reader back, so a few in a row may show the same count).
        let lines = client.readLines(seconds: 10) { lines in
            let frames = lines.map(object).filter { $0["type"] as? String == "daemon.heartbeat" }.compactMap { $0["frames"] as? Int }
            return frames.count > count && (frames.last ?? 0) > (frames.first ?? 0)
        }
        let frames = lines.map(object).filter { $0["type"] as? String == "daemon.heartbeat" }.compactMap { $0["frames"] as? Int }
        let increasing = zip(frames, frames.dropFirst()).allSatisfy { $0 <= $1 } && (frames.last ?? 0) > (frames.first ?? 0)
        return (frames.count > count && increasing, frames)
    }

    @Test func stalledReadersGiantLineAndMalformedRequestsLeaveMemoryBoundedAndThePipelineRunning() throws {
        guard DaemonProcess.available("stalledReadersGiantLine...") else { return }
        let (daemon, socket) = try startDaemon("hostile", config: "[socket]\nqueue_lines = 16\n",
                                               extra: ["--heartbeat-seconds", "0.005"])
        let startFrames = DaemonProbe.framesAdvance(socket: socket, than: 0)
        #expect(startFrames > 0, "pipeline running: \(daemon.log)")
        let baseline = DaemonProbe.residentKiB(daemon.pid)

        // 20 subscribers that never read: their queues drop their oldest lines (counted), nothing else grows.
        let stalled = try (0..<20).map { _ in try TestClient(path: socket, receiveBuffer: 1024) }
        var dropped = 0
        for _ in 0..<300 where dropped == 0 {
            Thread.sleep(forTimeInterval: 0.05)
            dropped = DaemonProbe.status(socket: socket)["dropped_lines"] as? Int ?? 0
        }
        if dropped > 0 || Sanitizer.keepsPace("stalled subscribers overflowing their queues within 15 s") {
            #expect(dropped > 0, "lines dropped for the stalled subscribers are counted")
        }

        // Malformed requests: one error line each; the connection stays open and still answers.
        let malformed = try TestClient(path: socket)
        malformed.send("{\"types\":[]}\n")     // nothing but replies from here on
        for line in ["{not json", "\u{01}\u{7f}garbage\u{00}", "[1,2,3]", "{\"types\":\"walk\"}", "{\"request\":\"reboot\"}",
                     "{\"streams\":[1]}", String(repeating: "[", count: 3000)] {
            malformed.send(line + "\n")
        }
        malformed.send("{\"request\":\"status\"}\n")
        let replies = malformed.readLines(seconds: 5) { $0.contains { object($0)["type"] as? String == "status" } }
        let errors = replies.filter { object($0)["type"] as? String == "error" }
        print("malformed requests: \(errors.count) error lines, then \(replies.last.map { object($0)["type"] as? String ?? "?" } ?? "nothing")")
        #expect(errors.count == 7, "one error line per malformed request: \(replies)")
        #expect(replies.last.map { object($0)["type"] as? String } == "status", "the connection was kept open")

        // A 100 MB request line: the server caps it, replies with an error line and closes; it never buffers it.
        let giant = try TestClient(path: socket)
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        var sent = 0, peak = baseline
        while sent < 100 << 20 {
            let count = chunk.withUnsafeBytes { Glibc.send(giant.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }
            sent += count
            peak = max(peak, DaemonProbe.residentKiB(daemon.pid))
        }
        // The client is a subscriber too: a heartbeat may come before the error line on a busy machine.
        let isError = { (line: String) in object(line)["type"] as? String == "error" }
        let reply = giant.readLines(seconds: 5) { $0.contains(where: isError) }.first(where: isError) ?? ""
        peak = max(peak, DaemonProbe.residentKiB(daemon.pid))
        print("100 MB line: server closed after \(sent / 1024) KiB sent; reply \(reply); RSS \(baseline) -> peak \(peak) KiB")
        #expect(object(reply)["type"] as? String == "error" && (object(reply)["message"] as? String)?.contains("longer than 4096") == true)
        #expect(sent < 100 << 20, "the connection was closed before 100 MB went through")
        if Sanitizer.measuresMemory("RSS bound while a 100 MB line is sent") {
            #expect(peak - baseline < 32 * 1024, "no 100 MB buffer: RSS grew \(peak - baseline) KiB")
        }

        // The pipeline is unaffected.
        let after = heartbeatsAdvance(socket: socket)
        let end = DaemonProbe.residentKiB(daemon.pid)
        print("stalled x20 + malformed + 100 MB line: frames \(startFrames) -> \(after.frames.last ?? -1), dropped lines \(dropped), "
              + "RSS \(baseline) -> \(end) KiB (+\(end - baseline))")
        #expect(after.ok, "a normal subscriber still gets heartbeats with frames advancing: \(after.frames)")
        if Sanitizer.measuresMemory("RSS bound after stalled, malformed and giant-line clients") {
            #expect(end - baseline < 48 * 1024, "RSS grew \(end - baseline) KiB")
        }
        _ = stalled
        let exit = daemon.terminate()
        #expect(exit.status == 0 && exit.seconds < 3, "clean exit with stalled subscribers attached: \(exit)")
    }

    @Test func thousandConnectionsAtOnceThenStormsWithALimitAndBoundedMemory() throws {
        guard DaemonProcess.available("thousandConnectionsAtOnce...") else { return }
        let limit = DaemonProbe.raiseOpenFileLimit(to: 4096)
        guard limit >= 1100 else {
            print("SKIPPED thousandConnectionsAtOnce: cannot raise RLIMIT_NOFILE above \(limit)")
            return
        }
        let (daemon, socket) = try startDaemon("thousand", extra: ["--max-subscribers", "900", "--heartbeat-seconds", "0.1"])
        let startFrames = DaemonProbe.framesAdvance(socket: socket, than: 0)
        // Let the probe connections leave before counting slots.
        for _ in 0..<100 where (DaemonProbe.status(socket: socket)["subscribers"] as? Int ?? 99) > 1 { Thread.sleep(forTimeInterval: 0.02) }
        let baseline = DaemonProbe.residentKiB(daemon.pid)

        // 1000 connections at once, from 8 threads.
        let clients = NIOLockedClients()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<125 { if let client = try? TestClient(path: socket) { clients.append(client) } }
        }
        #expect(clients.count == 1000, "every connect succeeded (refusals are an error line, not a failed connect)")
        // Each connection's first line: an error line (refused) or an event (served); wait up to 30 s for all (15 s
        // left 23 of 1000 unanswered once while other suites held both cores of a 2-core machine).
        var refused = 0, served = 0, pending = clients.all
        for _ in 0..<300 where !pending.isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
            pending = pending.filter { client in
                switch firstLine(client.descriptor).map({ object($0)["type"] as? String }) {
                case "error"?: refused += 1
                case .some: served += 1
                case nil: return true
                }
                return false
            }
        }
        let silent = pending.count
        let withThousand = DaemonProbe.residentKiB(daemon.pid)
        print("1000 connections, limit 900: \(served) served, \(refused) refused with an error line, \(silent) silent; "
              + "RSS \(baseline) -> \(withThousand) KiB")
        #expect(served <= 900 && served >= 895, "the limit holds")
        if silent == 0 || Sanitizer.keepsPace("every one of 1000 connections answered within the wait") {
            #expect(refused == 1000 - served - silent && silent == 0)
        }
        clients.removeAll()

        // Connect/disconnect storms: 2000 connections that close at once, some after a request.
        let stormStart = Date()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<250 {
                guard let client = try? TestClient(path: socket) else { continue }
                if index % 3 == 0 { client.send("{\"request\":\"status\"}\n") }
                if index % 5 == 0 { client.send("{\"types\":[\"prediction\"]}\n") }
                _ = thread
            }
        }
        let stormSeconds = Date().timeIntervalSince(stormStart)
        var status: [String: Any] = [:]
        for _ in 0..<200 {
            status = DaemonProbe.status(socket: socket)
            if (status["subscribers"] as? Int ?? 99) <= 1 { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let after = heartbeatsAdvance(socket: socket)
        let end = DaemonProbe.residentKiB(daemon.pid)
        print("storm of 2000 connect/close in \(String(format: "%.2f", stormSeconds)) s: subscribers now \(status["subscribers"] ?? "?"), "
              + "refused \(status["subscribers_refused"] ?? "?"), frames \(startFrames) -> \(after.frames.last ?? -1), "
              + "RSS \(baseline) -> \(withThousand) (1000 open) -> \(end) KiB")
        if (status["subscribers"] as? Int ?? 99) <= 1 || Sanitizer.keepsPace("stormed subscribers removed within 4 s") {
            #expect((status["subscribers"] as? Int ?? 99) <= 1, "every stormed subscriber was removed from the hub (the status asker may count)")
        }
        #expect((status["subscribers_refused"] as? Int ?? 0) >= refused)
        #expect(after.ok, "heartbeats with frames advancing after the storm: \(after.frames)")
        if Sanitizer.measuresMemory("RSS bounds with 1000 subscribers and after the storm") {
            #expect(withThousand - baseline < 160 * 1024, "1000 subscribers cost \(withThousand - baseline) KiB")
            #expect(end - baseline < 160 * 1024, "RSS after the storm grew \(end - baseline) KiB")
        }
        #expect(daemon.terminate().status == 0)
    }

    @Test func allowListAcceptsListedPeersAndRefusesOthersWithAnErrorLine() throws {
        guard DaemonProcess.available("allowListAcceptsListedPeers...") else { return }
        let (allowed, allowedSocket) = try startDaemon("allowed", extra: ["--allow-user", String(getuid())])
        let status = DaemonProbe.status(socket: allowedSocket)
        #expect(status["type"] as? String == "status", "our uid is on the list: \(allowed.log)")
        #expect(allowed.log.contains("subscribers limited to uids [\(getuid())]"), "\(allowed.log)")
        #expect(allowed.terminate().status == 0)

        let otherUID = getuid() == 0 ? 54_321 : 0, otherGID = getgid() == 0 ? 54_321 : 0
        let (refusing, refusingSocket) = try startDaemon("refusing", config: "[socket]\nallow_groups = [\(otherGID)]\n",
                                                         extra: ["--allow-user", String(otherUID)])
        let client = try TestClient(path: refusingSocket)
        client.send("{\"request\":\"status\"}\n")
        let lines = client.readLines(seconds: 5)     // ends at EOF: the daemon closed the connection
        print("refused peer got: \(lines)")
        #expect(lines.count == 1 && object(lines.first ?? "")["type"] as? String == "error")
        #expect((object(lines.first ?? "")["message"] as? String)?.contains("uid \(getuid()) gid \(getgid()) is not allowed") == true)
        #expect(refusing.log.contains("subscriber refused by the allow-list"), "\(refusing.log)")
        #expect(refusing.terminate().status == 0)
    }

    @Test func allowListParsing() throws {
        let list = try PeerAllowList(users: ["0", " root ", "1000"], groups: ["root", "27"])
        #expect(list.uids == [0, 1000] && list.gids == [0, 27])
        #expect(list.allows(uid: 1000, gid: 5) && list.allows(uid: 5, gid: 27) && !list.allows(uid: 5, gid: 5))
        #expect(throws: PeerAllowListError.self) { try PeerAllowList(users: ["no-such-user-csihar"], groups: []) }
        #expect(throws: PeerAllowListError.self) { try PeerAllowList(users: [], groups: ["-1"]) }

        let settings = try DaemonConfigFile.parse("[socket]\nallow_users = [0, \"root\", 1000]\nallow_groups = [\"root\"]\nmax_subscribers = 7\n",
                                                  path: "t.toml")
        #expect(settings.allowList == PeerAllowList(uids: [0, 1000], gids: [0]) && settings.maximumSubscribers == 7)
        #expect(try DaemonConfigFile.parse("[socket]\nallow_users = []\n", path: "t.toml").allowList == nil, "empty lists: no allow-list")
        do {
            _ = try DaemonConfigFile.parse("[socket]\n\nallow_users = [\"no-such-user-csihar\"]\n", path: "t.toml")
            Issue.record("an unknown user name must be rejected")
        } catch {
            print("bad allow-list entry: \(error)")
            #expect(error.description.hasPrefix("t.toml:3: socket.allow_users: \"no-such-user-csihar\" is neither"))
        }
        #expect(throws: ConfigError.self) { try DaemonConfigFile.parse("[socket]\nallow_groups = [-3]\n", path: "t.toml") }
        #expect(throws: ConfigError.self) { try DaemonConfigFile.parse("[socket]\nmax_subscribers = 0\n", path: "t.toml") }
    }

    /// The first line waiting on `descriptor` without blocking (nil when none arrived).
    private func firstLine(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard count > 0, let newline = buffer[0..<count].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        return String(decoding: buffer[0..<newline], as: UTF8.self)
    }
}

/// Test clients collected from several threads.
private final class NIOLockedClients: @unchecked Sendable {
    private let lock = NSLock()
    private var clients: [TestClient] = []
    func append(_ client: TestClient) { lock.lock(); clients.append(client); lock.unlock() }
    var all: [TestClient] { lock.lock(); defer { lock.unlock() }; return clients }
    var count: Int { all.count }
    func removeAll() { lock.lock(); clients.removeAll(); lock.unlock() }
}
