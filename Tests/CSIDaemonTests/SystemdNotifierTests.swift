import Foundation
import Testing
@testable import CSIDaemon

/// Plays systemd's side of NOTIFY_SOCKET: a datagram socket receiving the daemon's `KEY=value` messages.
final class FakeSystemdNotifySocket {
    let path: String
    let descriptor: Int32

    /// Binds a datagram socket at a fresh path (or, with `abstract`, a fresh abstract name; `path` is then `@name`).
    init(abstract: Bool = false) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let name = temporarySocketPath("notify")
        path = abstract ? "@" + name : name
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard result == 0 else { close(descriptor); throw POSIXError(.EADDRINUSE) }
    }

    deinit {
        close(descriptor)
        if !path.hasPrefix("@") { unlink(path) }
    }

    /// The next message within `seconds`, or nil.
    func receive(seconds: Double) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    /// Messages until one contains `needle` (returned last) or `seconds` pass.
    func receive(until needle: String, seconds: Double) -> [String] {
        let end = Date().addingTimeInterval(seconds)
        var messages: [String] = []
        while Date() < end, let message = receive(seconds: end.timeIntervalSinceNow) {
            messages.append(message)
            if message.contains(needle) { break }
        }
        return messages
    }
}

@Suite struct SystemdNotifierTests {
    @Test(arguments: [false, true]) func messagesReachAPathOrAbstractSocket(abstract: Bool) throws {
        let systemd = try FakeSystemdNotifySocket(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.path])
        #expect(notifier.ready(status: "serving x"))
        #expect(systemd.receive(seconds: 1) == "READY=1\nSTATUS=serving x")
        #expect(notifier.watchdog())
        #expect(systemd.receive(seconds: 1) == "WATCHDOG=1")
        #expect(notifier.stopping())
        #expect(systemd.receive(seconds: 1) == "STOPPING=1")
    }

    @Test func notUnderSystemdDoesNothing() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(notifier.socketPath == nil && notifier.watchdogInterval == nil)
        #expect(notifier.ready(status: "x") == false)
    }

    @Test func watchdogIntervalOnlyWhenMeantForThisProcess() {
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "20000000"], pid: 42).watchdogInterval == 20)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "42"], pid: 42).watchdogInterval == 20)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "43"], pid: 42).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"], pid: 42).watchdogInterval == nil)
    }

    /// The real csihard under a fake systemd: READY=1 only once the socket accepts connections, STATUS= lines,
    /// WATCHDOG=1 at half the interval, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 and exit 0 on SIGTERM.
    @Test func csihardTalksToSystemd() throws {
        guard DaemonProcess.available("csihardTalksToSystemd") else { return }
        let systemd = try FakeSystemdNotifySocket()
        let socket = temporarySocketPath("notified")
        let sample = repositoryRoot + "/samples/living-room-intel5300.dat"
        // Run from an empty directory: no default model, so no model is loaded (streams and heartbeats only).
        let daemon = try DaemonProcess(
            arguments: ["--source", "replay:" + sample, "--speed", "1", "--loop", "--socket", socket],
            environment: ["NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "600000"])
        let startup = systemd.receive(until: "READY=1", seconds: 10)
        #expect(startup.last?.hasPrefix("READY=1\nSTATUS=serving replay:") == true, "got \(startup)\n\(daemon.log)")
        #expect(SocketPath.probe(socket) == 0, "the socket accepts connections by the time READY=1 arrives")

        // Watchdog every 0.3 s while the pipeline runs, with a STATUS= summary.
        let start = Date()
        let running = systemd.receive(until: "never", seconds: 1.2)
        let watchdogs = running.filter { $0.hasPrefix("WATCHDOG=1") }
        print("in 1.2 s: \(watchdogs.count) WATCHDOG=1 messages, e.g. \(watchdogs.last.map { $0.debugDescription } ?? "none")")
        #expect(watchdogs.count >= 2 && watchdogs.count <= 6)
        #expect(watchdogs.last?.contains("\nSTATUS=") == true && watchdogs.last?.contains("subscribers") == true)
        #expect(Date().timeIntervalSince(start) < 3)

        daemon.send(SIGHUP)
        let reload = systemd.receive(until: "READY=1", seconds: 5).filter { !$0.hasPrefix("WATCHDOG") }
        #expect(reload.first == "RELOADING=1" && reload.last?.hasPrefix("READY=1") == true, "got \(reload)")

        let exit = daemon.terminate()
        let stopping = systemd.receive(until: "STOPPING=1", seconds: 2)
        print("SIGTERM -> exit status \(exit.status.map(String.init) ?? "none") after \(exit.seconds) s")
        #expect(stopping.last == "STOPPING=1")
        #expect(exit.status == 0, "\(daemon.log)")
        #expect(exit.seconds < 2)
        #expect(!FileManager.default.fileExists(atPath: socket), "the daemon removes the socket it created")
    }
}
