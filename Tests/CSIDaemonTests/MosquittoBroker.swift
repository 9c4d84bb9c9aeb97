import Foundation
import Testing

/// A real Mosquitto broker (Debian `mosquitto`) started by a test on a free loopback port (never 1883, which the
/// Debian service may hold), with persistence in a temporary directory, optionally a password file made with
/// `mosquitto_passwd -b`. Killed by its pid (``kill()``, `deinit`); ``start()`` starts it again on the same port
/// with the same persistence.
final class MosquittoBroker: @unchecked Sendable {
    static let executable = "/usr/sbin/mosquitto"
    static let subscriber = "/usr/bin/mosquitto_sub"
    static let publisher = "/usr/bin/mosquitto_pub"
    static let passwordTool = "/usr/bin/mosquitto_passwd"

    /// True when the broker and the clients are installed. Otherwise the test FAILS naming the packages, unless
    /// `CSIHAR_SKIP_MQTT=1` is set (then it is skipped with a printed line).
    static func available(_ test: String) -> Bool {
        let missing = [executable, subscriber, publisher, passwordTool, "/usr/bin/openssl"].filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if missing.isEmpty { return true }
        if ProcessInfo.processInfo.environment["CSIHAR_SKIP_MQTT"] == "1" {
            print("SKIP \(test): \(missing.joined(separator: ", ")) missing and CSIHAR_SKIP_MQTT=1")
            return false
        }
        let packages = "Debian packages mosquitto, mosquitto-clients and openssl: `make test` installs them, or "
            + "`scripts/install-deps.sh mosquitto mosquitto-clients openssl`"
        Issue.record(Comment(rawValue: "\(test) needs \(missing.joined(separator: ", ")) (\(packages)); set CSIHAR_SKIP_MQTT=1 to skip"))
        return false
    }

    let directory: String
    let port: Int
    /// With `tls`: a second listener speaking TLS with a self-signed certificate for 127.0.0.1 (``certificate``).
    let tlsPort: Int?
    private var process: Process?

    /// The broker's self-signed certificate (PEM), the CA file a TLS client needs.
    var certificate: String { directory + "/cert.pem" }

    /// `mqtt://127.0.0.1:PORT`.
    var url: String { "mqtt://127.0.0.1:\(port)" }

    /// Writes the config (and the password file for `users`, which turns anonymous access off) and starts it.
    init(users: [(name: String, password: String)] = [], tls: Bool = false) throws {
        directory = temporarySocketPath("mosquitto")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try Self.freePort()
        tlsPort = tls ? try Self.freePort() : nil
        var config = """
            listener \(port) 127.0.0.1
            persistence true
            persistence_location \(directory)/
            autosave_interval 1
            log_dest file \(directory)/broker.log
            log_type all

            """
        if geteuid() == 0 { config += "user root\n" }   // as root, mosquitto would switch to the `mosquitto` user
        if users.isEmpty {
            config += "allow_anonymous true\n"
        } else {
            let passwords = directory + "/passwords"
            for (index, user) in users.enumerated() {
                let result = try runProcess(URL(fileURLWithPath: Self.passwordTool),
                                            (index == 0 ? ["-c"] : []) + ["-b", passwords, user.name, user.password])
                guard result.status == 0 else { throw POSIXError(.EINVAL) }
            }
            config += "allow_anonymous false\npassword_file \(passwords)\n"
        }
        if let tlsPort {
            let made = try runProcess(URL(fileURLWithPath: "/usr/bin/openssl"), [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", directory + "/key.pem", "-out", certificate])
            guard made.status == 0 else { throw POSIXError(.EINVAL) }
            config += "listener \(tlsPort) 127.0.0.1\ncertfile \(certificate)\nkeyfile \(directory)/key.pem\n"
        }
        try config.write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
        try start()
    }

    /// Starts the broker (again) and waits until it accepts connections.
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["-c", directory + "/mosquitto.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let end = Date().addingTimeInterval(10)
        while Date() < end {
            if Self.accepts(port: port) && tlsPort.map(Self.accepts) ?? true { return }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw POSIXError(.ECONNREFUSED)
    }

    /// SIGKILL (no goodbye to the clients, no last save) and wait for it to be gone.
    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The broker's log (for failure messages).
    var log: String { (try? String(contentsOfFile: directory + "/broker.log", encoding: .utf8)) ?? "" }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A loopback port nothing listens on now (the kernel's choice, released again).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// True when a TCP connection to 127.0.0.1:`port` succeeds.
    static func accepts(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// `mosquitto_sub -v` on a broker, QoS 1, recording every message (`topic payload` lines in a file).
/// `persistentID` makes it a persistent session (`-c -i ID`): after the broker restarts, it gets what was
/// published for it while it was away. It subscribes to `csihar-test/probe` too, for ``waitUntilSubscribed()``.
final class MQTTRecorder: @unchecked Sendable {
    let process = Process()
    let outputPath: String
    let port: Int
    /// `-u NAME -P PASSWORD` when the broker wants them (for the probes too).
    private let login: [String]

    init(port: Int, topics: [String], persistentID: String? = nil, user: (name: String, password: String)? = nil) throws {
        self.port = port
        login = user.map { ["-u", $0.name, "-P", $0.password] } ?? []
        outputPath = temporarySocketPath("mqtt-sub") + ".txt"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        var arguments = ["-h", "127.0.0.1", "-p", String(port), "-v", "-q", "1", "-t", "csihar-test/probe"]
        for topic in topics { arguments += ["-t", topic] }
        if let persistentID { arguments += ["-c", "-i", persistentID] }
        arguments += login
        process.executableURL = URL(fileURLWithPath: MosquittoBroker.subscriber)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        unlink(outputPath)
    }

    /// Every message so far: (topic, payload).
    var messages: [(topic: String, payload: String)] {
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            guard let space = line.firstIndex(of: " ") else { return (String(line), "") }
            return (String(line[..<space]), String(line[line.index(after: space)...]))
        }
    }

    /// Publishes probes until one comes back (the subscription is in place), up to `seconds`.
    func waitUntilSubscribed(seconds: Double = 10) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            _ = try? runProcess(URL(fileURLWithPath: MosquittoBroker.publisher),
                                ["-h", "127.0.0.1", "-p", String(port), "-t", "csihar-test/probe", "-m", "probe"] + login)
            if wait(seconds: 0.3, until: { $0.contains { $0.topic == "csihar-test/probe" } }) { return true }
        }
        return false
    }

    /// Waits up to `seconds` until `condition(messages)`; returns whether it held.
    func wait(seconds: Double, until condition: ([(topic: String, payload: String)]) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        repeat {
            if condition(messages) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < end
        return condition(messages)
    }
}

/// Records every line a socket subscriber gets, on a thread of its own, until EOF.
final class SocketRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private let done = DispatchSemaphore(value: 0)

    init(path: String) throws {
        let client = try TestClient(path: path)
        Thread.detachNewThread { [self] in
            _ = client.readTimedLines(seconds: 600) { line, _ in
                lock.withLock { lines.append(line) }
                return false
            }
            done.signal()
        }
    }

    /// The lines so far.
    var received: [String] { lock.withLock { lines } }

    /// The lines so far, parsed.
    var events: [[String: Any]] { received.map(object) }

    /// Waits for EOF (the daemon closed the socket), up to `seconds`.
    func waitForEnd(seconds: Double) -> Bool { done.wait(timeout: .now() + seconds) == .success }
}
