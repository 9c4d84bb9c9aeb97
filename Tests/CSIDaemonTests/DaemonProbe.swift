import Foundation

/// Looks at a running csihard from outside: resident memory from /proc, the `status` reply, open-file limits.
enum DaemonProbe {
    /// Resident set size of `pid` in KiB (VmRSS in /proc/PID/status), or 0 when unreadable.
    static func residentKiB(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    /// The daemon's `status` reply (asked on a fresh connection), or an empty object.
    static func status(socket: String, seconds: Double = 5) -> [String: Any] {
        guard let client = try? TestClient(path: socket) else { return [:] }
        client.send("{\"request\":\"status\"}\n")
        let lines = client.readLines(seconds: seconds) { $0.contains { object($0)["type"] as? String == "status" } }
        return lines.map(object).first { $0["type"] as? String == "status" } ?? [:]
    }

    /// The `frames` counter of `status` (-1 when no reply).
    static func frames(socket: String) -> Int { status(socket: socket)["frames"] as? Int ?? -1 }

    /// Waits until the `frames` counter passes `than` (the pipeline is running); returns the last value seen.
    static func framesAdvance(socket: String, than: Int, seconds: Double = 10) -> Int {
        let end = Date().addingTimeInterval(seconds)
        var frames = -1
        while Date() < end {
            frames = Self.frames(socket: socket)
            if frames > than { return frames }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return frames
    }

    /// Raises this process's soft open-files limit to at least `wanted` (up to the hard limit, or beyond it as
    /// root); returns the soft limit now in force. Children (the daemon) inherit it.
    @discardableResult
    static func raiseOpenFileLimit(to wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < rlim_t(wanted) {
            var raised = limit
            raised.rlim_cur = rlim_t(wanted)
            if raised.rlim_max < rlim_t(wanted) { raised.rlim_max = rlim_t(wanted) }
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0 {
                limit.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
                _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            }
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    /// Writes `text` to a fresh temporary file with `suffix`; returns its path.
    static func temporaryFile(_ text: String, name: String, suffix: String = ".toml") throws -> String {
        let path = temporarySocketPath(name) + suffix
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
