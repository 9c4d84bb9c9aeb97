import Foundation
import Testing
@testable import CSIDaemon

/// sd_listen_fds by hand, and csihard started by `systemd-socket-activate` (the socket systemd would pass).
@Suite struct SocketActivationTests {
    @Test func descriptorsOnlyForThisProcess() {
        let environment = ["LISTEN_PID": "\(getpid())", "LISTEN_FDS": "2"]
        #expect(SocketActivation.listenDescriptors(environment: environment, unsetEnvironment: false) == [3, 4])
        #expect(SocketActivation.listenDescriptors(environment: ["LISTEN_PID": "1", "LISTEN_FDS": "1"], unsetEnvironment: false).isEmpty)
        #expect(SocketActivation.listenDescriptors(environment: ["LISTEN_FDS": "1"], unsetEnvironment: false).isEmpty)
    }

    @Test func csihardServesOnAnActivatedSocket() throws {
        let tool = "/usr/bin/systemd-socket-activate"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            print("SKIPPED csihardServesOnAnActivatedSocket: \(tool) is missing (apt-get install systemd; scripts/install-deps.sh does it)")
            return
        }
        guard DaemonProcess.available("csihardServesOnAnActivatedSocket") else { return }
        let socket = temporarySocketPath("activated")
        let unused = temporarySocketPath("unused")
        let sample = repositoryRoot + "/samples/living-room-intel5300.dat"
        // --socket names a path the daemon must NOT bind: under activation it serves the passed descriptor.
        // The client's connection is the "communication attempt" that makes systemd-socket-activate exec csihard;
        // --wait-for-subscriber holds the replay until that client is subscribed, so it sees stream.up.
        let daemon = try DaemonProcess(arguments: ["--source", "replay:" + sample, "--speed", "5", "--loop", "--socket", unused,
                                                   "--wait-for-subscriber"],
                                       launcher: [tool, "-l", socket])
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: socket) { Thread.sleep(forTimeInterval: 0.01) }
        // The path appears at bind(), before systemd-socket-activate calls listen(): a connection in between is
        // refused, so retry for a while (seen on a loaded CI machine).
        var connected: TestClient?
        for _ in 0..<500 where connected == nil {
            connected = try? TestClient(path: socket)
            if connected == nil { Thread.sleep(forTimeInterval: 0.01) }
        }
        let client = try connected ?? TestClient(path: socket)
        let lines = client.readLines(seconds: 5) { $0.contains { object($0)["type"] as? String == "stream.up" } }
        #expect(lines.contains { object($0)["type"] as? String == "stream.up" }, "events arrive on the activated socket: \(lines)\n\(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: unused), "the configured path was not bound")
        #expect(daemon.log.contains("Execing"), "systemd-socket-activate passed the socket: \(daemon.log)")

        let exit = daemon.terminate()
        print("activated csihard: SIGTERM -> exit \(exit.status.map(String.init) ?? "none") after \(exit.seconds) s")
        #expect(exit.status == 0, "\(daemon.log)")
        #expect(exit.seconds < 2)
        #expect(FileManager.default.fileExists(atPath: socket), "the activated socket belongs to systemd and is left in place")
        unlink(socket)
    }
}
