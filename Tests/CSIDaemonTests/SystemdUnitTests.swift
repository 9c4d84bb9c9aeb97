import Foundation
import Testing

/// systemd/csihard.service and csihard.socket: `systemd-analyze verify` prints nothing, and the offline security
/// exposure is at most 2.5.
@Suite struct SystemdUnitTests {
    static let tool = "/usr/bin/systemd-analyze"

    /// Copies the units to a fresh directory with ExecStart pointing at an executable that exists here (verify
    /// fails on a missing binary; the installed path is /usr/local/bin/csihard).
    private func stagedUnits() throws -> String {
        let directory = temporarySocketPath("units")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let executable = DaemonProcess.executable?.path ?? "/bin/true"
        for name in ["csihard.service", "csihard.socket"] {
            var text = try String(contentsOfFile: repositoryRoot + "/systemd/" + name, encoding: .utf8)
            text = text.replacingOccurrences(of: "ExecStart=/usr/local/bin/csihard", with: "ExecStart=" + executable)
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        return directory
    }

    private func run(_ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
        try runProcess(URL(fileURLWithPath: Self.tool), arguments, in: directory)
    }

    @Test func verifyPrintsNothing() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.tool) else {
            print("SKIPPED verifyPrintsNothing: \(Self.tool) is missing (apt-get install systemd; scripts/install-deps.sh does it)")
            return
        }
        let directory = try stagedUnits()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try run(["verify", "--man=no", directory + "/csihard.service", directory + "/csihard.socket"], in: directory)
        print("systemd-analyze verify: status \(result.status), output \(result.output.debugDescription)")
        #expect(result.status == 0)
        #expect(result.output.isEmpty, "verify reports problems (its exit status is 0 even for unknown keys)")
    }

    @Test func securityExposureAtMostTwoPointFive() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.tool) else {
            print("SKIPPED securityExposureAtMostTwoPointFive: \(Self.tool) is missing (apt-get install systemd)")
            return
        }
        let directory = try stagedUnits()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try run(["security", "--offline=true", "--no-pager", directory + "/csihard.service"], in: directory)
        let summary = result.output.split(separator: "\n").first { $0.contains("Overall exposure level") }.map(String.init) ?? ""
        print("systemd-analyze security: \(summary)")
        // "→ Overall exposure level for csihard.service: 1.4 OK 🙂"
        let value = summary.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
        #expect(value != nil, "no exposure line in: \(result.output.suffix(500))")
        #expect((value ?? 99) <= 2.5)
    }

    /// systemd/csihar.sysusers creates the group that csihard.socket's SocketGroup names (in a scratch root).
    @Test func sysusersCreatesTheSocketGroup() throws {
        let tool = "/usr/bin/systemd-sysusers"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            print("SKIPPED sysusersCreatesTheSocketGroup: \(tool) is missing (apt-get install systemd)")
            return
        }
        let root = temporarySocketPath("sysroot")
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try runProcess(URL(fileURLWithPath: tool), ["--root=" + root, repositoryRoot + "/systemd/csihar.sysusers"],
                                    in: root)
        let groups = (try? String(contentsOfFile: root + "/etc/group", encoding: .utf8)) ?? ""
        let socketUnit = try String(contentsOfFile: repositoryRoot + "/systemd/csihard.socket", encoding: .utf8)
        print("systemd-sysusers: status \(result.status), \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(result.status == 0 && groups.hasPrefix("csihar:x:"))
        #expect(socketUnit.contains("SocketGroup=csihar"))
    }
}
