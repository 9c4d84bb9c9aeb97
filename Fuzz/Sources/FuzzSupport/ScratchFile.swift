#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A per-process file that a fuzz target rewrites with every input, for the readers that only take a path.
///
/// It lives in `/dev/shm` when that exists (no disk I/O), else in `$TMPDIR` or `/tmp`, is named after the target
/// and the process id (so `-jobs`/`-fork` workers do not collide), and is removed at exit.
public final class ScratchFile: @unchecked Sendable {
    /// The file's path, handed to the reader.
    public let path: String

    /// Chooses the path; nothing is created until ``write(_:)``.
    public init(name: String) {
        var directory = "/dev/shm"
        if access(directory, W_OK) != 0 {
            directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        }
        path = "\(directory)/csihar-fuzz-\(name)-\(getpid())"
        ScratchFile.registerForRemoval(path)
    }

    /// Replaces the file's contents with `bytes`; `false` when that fails (the input is then skipped).
    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let wrote = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else { return false }
            done += wrote
        }
        return true
    }

    /// The path removed at exit (one per process: each target has one scratch file).
    nonisolated(unsafe) private static var pathToRemove: String?

    private static func registerForRemoval(_ path: String) {
        pathToRemove = path
        atexit {
            if let path = ScratchFile.pathToRemove { unlink(path) }
        }
    }
}
