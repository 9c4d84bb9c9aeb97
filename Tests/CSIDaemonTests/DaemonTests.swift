import Foundation
import Testing
@testable import CSIDaemon

/// The real csihard: config file + flags, startup errors naming the field, SIGHUP reload of config and model
/// (a bad new model keeps the old one), exit within 2 s of SIGTERM with subscribers attached.
@Suite struct DaemonTests {
    private func write(_ text: String, name: String) throws -> String {
        let path = temporarySocketPath(name) + ".toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The `status` reply's model name, asked over the subscriber socket.
    private func modelName(socket: String) throws -> String? {
        let client = try TestClient(path: socket)
        client.send("{\"request\":\"status\"}\n")
        let lines = client.readLines(seconds: 5) { $0.contains { object($0)["type"] as? String == "status" } }
        return lines.compactMap { object($0)["type"] as? String == "status" ? object($0)["model"] as? String : nil }.first
    }

    @Test func badConfigOrModelStopsStartupNamingTheField() throws {
        guard DaemonProcess.available("badConfigOrModelStopsStartupNamingTheField") else { return }
        let config = try write("[pipeline]\nmax_batch = 8\nhop_seconds = 0\n", name: "bad")
        let daemon = try DaemonProcess(arguments: ["--config", config, "--socket", temporarySocketPath("never")])
        let exit = daemon.waitForExit(seconds: 10)
        print("bad config: exit \(exit.map { String($0.status) } ?? "none"); \(daemon.log.split(separator: "\n").last ?? "")")
        #expect(exit != nil && exit?.status != 0)
        #expect(daemon.log.contains(config + ":3: pipeline.hop_seconds: must be > 0"), "\(daemon.log)")

        let corrupt = temporarySocketPath("corrupt") + ".safetensors"
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: corrupt))
        let second = try DaemonProcess(arguments: ["--model", corrupt, "--socket", temporarySocketPath("never")])
        let secondExit = second.waitForExit(seconds: 10)
        print("bad model: exit \(secondExit.map { String($0.status) } ?? "none"); \(second.log.split(separator: "\n").last ?? "")")
        #expect(secondExit != nil && secondExit?.status != 0)
        #expect(second.log.contains(corrupt), "the error names the model file: \(second.log)")
    }

    @Test func flagsOverrideTheConfigAndSighupReloadsTheModel() throws {
        guard DaemonProcess.available("flagsOverrideTheConfigAndSighupReloadsTheModel") else { return }
        let configured = temporarySocketPath("configured"), flagged = temporarySocketPath("flagged")
        let gru = repositoryRoot + "/models/ut-har-gru.safetensors"
        let wiar = repositoryRoot + "/models/wiar-gru.safetensors"
        guard FileManager.default.fileExists(atPath: gru), FileManager.default.fileExists(atPath: wiar) else {
            print("SKIPPED flagsOverrideTheConfigAndSighupReloadsTheModel: models/ are missing")
            return
        }
        let sample = repositoryRoot + "/samples/living-room-intel5300.dat"
        let config = try write("""
            [sources]
            inputs = ["replay:\(sample)"]
            loop = true
            [socket]
            path = "\(configured)"
            [model]
            path = "\(gru)"
            """, name: "reload")
        let daemon = try DaemonProcess(arguments: ["--config", config, "--socket", flagged])
        #expect(waitForSocket(flagged), "the --socket flag wins over socket.path: \(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: configured))
        #expect(try modelName(socket: flagged)?.hasPrefix("ut-har-gru") == true)

        // A broken model in the new config: the reload fails, the old model keeps serving.
        let corrupt = temporarySocketPath("corrupt") + ".safetensors"
        try Data(repeating: 7, count: 64).write(to: URL(fileURLWithPath: corrupt))
        try (try String(contentsOfFile: config, encoding: .utf8)).replacingOccurrences(of: gru, with: corrupt)
            .write(toFile: config, atomically: true, encoding: .utf8)
        daemon.send(SIGHUP)
        for _ in 0..<500 where !daemon.log.contains("reload failed") { Thread.sleep(forTimeInterval: 0.01) }
        let failure = daemon.log.split(separator: "\n").first { $0.contains("reload failed") } ?? ""
        print("bad reload logged: \(failure)")
        #expect(failure.contains("keeping the running configuration and model") && failure.contains(corrupt))
        #expect(try modelName(socket: flagged)?.hasPrefix("ut-har-gru") == true, "old model still serving")

        // A good model: swapped in.
        try (try String(contentsOfFile: config, encoding: .utf8)).replacingOccurrences(of: corrupt, with: wiar)
            .write(toFile: config, atomically: true, encoding: .utf8)
        daemon.send(SIGHUP)
        var name: String?
        for _ in 0..<100 {
            name = try modelName(socket: flagged)
            if name?.hasPrefix("wiar-gru") == true { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(name?.hasPrefix("wiar-gru") == true, "new model after SIGHUP: \(name ?? "none")\n\(daemon.log)")
        let exit = daemon.terminate()
        #expect(exit.status == 0 && exit.seconds < 2)
        unlink(corrupt)
    }

    /// Runs the csihar CLI next to csihard; returns its exit status and stdout.
    private func csihar(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(DaemonProcess.executable!.deletingLastPathComponent().appendingPathComponent("csihar"), arguments)
    }

    @Test func secondInstanceLeavesTheLiveSocketAloneAndCLIClientsWork() throws {
        guard DaemonProcess.available("secondInstanceLeavesTheLiveSocketAloneAndCLIClientsWork") else { return }
        let socket = temporarySocketPath("shared")
        let sample = repositoryRoot + "/samples/living-room-intel5300.dat"
        let first = try DaemonProcess(arguments: ["--source", "replay:" + sample, "--speed", "5", "--loop", "--socket", socket,
                                                  "--heartbeat-seconds", "0.3"])
        #expect(waitForSocket(socket), "\(first.log)")
        var info = stat()
        #expect(lstat(socket, &info) == 0 && info.st_mode & 0o777 == 0o660, "socket mode 0660")

        let second = try DaemonProcess(arguments: ["--socket", socket])
        let exit = second.waitForExit(seconds: 10)
        #expect(exit != nil && exit?.status != 0)
        #expect(second.log.contains("in use by a running instance"), "\(second.log)")
        #expect(SocketPath.probe(socket) == 0, "the first instance still serves on its socket")

        // csihar subscribe: only the requested types, pretty or raw.
        let raw = try csihar(["subscribe", "--socket", socket, "--types", "daemon.heartbeat", "--raw", "--count", "2"])
        let lines = raw.output.split(separator: "\n").map(String.init)
        #expect(raw.status == 0 && lines.count == 2, "\(raw.output)")
        #expect(lines.allSatisfy { object($0)["type"] as? String == "daemon.heartbeat" })
        let pretty = try csihar(["subscribe", "--socket", socket, "--types", "daemon.heartbeat", "--count", "1"])
        #expect(pretty.output.contains("daemon.heartbeat") && pretty.output.contains("latency p50"), "\(pretty.output)")

        // csihar status: per-stream rates, windows/s, drops, latency.
        var status = try csihar(["status", "--socket", socket])
        for _ in 0..<20 where !status.output.contains("streams:      1") {
            Thread.sleep(forTimeInterval: 0.1)
            status = try csihar(["status", "--socket", socket])
        }
        print(status.output)
        #expect(status.status == 0)
        #expect(status.output.contains("frames/s") && status.output.contains("windows/s") && status.output.contains("dropped lines")
                && status.output.contains("latency") && status.output.range(of: #"lost [0-9]+ frames"#, options: .regularExpression) != nil)

        // csihar status --watch: a fresh status every interval until interrupted.
        let watcher = Process()
        watcher.executableURL = DaemonProcess.executable!.deletingLastPathComponent().appendingPathComponent("csihar")
        watcher.arguments = ["status", "--socket", socket, "--watch", "0.2", "--raw"]
        let pipe = Pipe()
        watcher.standardOutput = pipe
        try watcher.run()
        Thread.sleep(forTimeInterval: 1.5)
        watcher.terminate()
        watcher.waitUntilExit()
        let watched = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").filter { object(String($0))["type"] as? String == "status" }
        print("status --watch 0.2 for 1.5 s: \(watched.count) status replies")
        #expect(watched.count >= 3)
        #expect(first.terminate().status == 0)
    }

    /// `csihar subscribe --reconnect` carries on across a daemon restart: it gets the `state` greeting of both runs.
    @Test func subscribeReconnectsAcrossARestart() throws {
        guard DaemonProcess.available("subscribeReconnectsAcrossARestart") else { return }
        let socket = temporarySocketPath("restart")
        let sample = repositoryRoot + "/samples/living-room-intel5300.dat"
        let arguments = ["--source", "replay:" + sample, "--speed", "5", "--loop", "--socket", socket]
        let first = try DaemonProcess(arguments: arguments)
        #expect(waitForSocket(socket), "\(first.log)")
        let subscriber = Process()
        subscriber.executableURL = DaemonProcess.executable!.deletingLastPathComponent().appendingPathComponent("csihar")
        subscriber.arguments = ["subscribe", "--socket", socket, "--reconnect", "--raw", "--types", "state", "--count", "2"]
        let out = Pipe(), err = Pipe()
        subscriber.standardOutput = out
        subscriber.standardError = err
        try subscriber.run()
        Thread.sleep(forTimeInterval: 1.0)
        #expect(first.terminate().status == 0)
        let second = try DaemonProcess(arguments: arguments)
        #expect(waitForSocket(socket), "\(second.log)")
        for _ in 0..<200 where subscriber.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if subscriber.isRunning { subscriber.terminate() }
        subscriber.waitUntilExit()
        let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        let notices = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        print("subscribe --reconnect: \(lines.count) state lines; notices: \(notices)")
        #expect(subscriber.terminationStatus == 0 && lines.count == 2)
        #expect(lines.allSatisfy { object(String($0))["type"] as? String == "state" })
        #expect(notices.contains("reconnecting") && notices.contains("connected to \(socket) again"))
        #expect(second.terminate().status == 0)
    }
}
