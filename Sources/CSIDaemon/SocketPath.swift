import Foundation

/// Filesystem side of the subscriber socket: stale-socket detection, permissions.
public enum SocketPath {
    /// A socket path that cannot be used.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// Why.
        public var description: String
    }

    /// Makes `path` bindable: nothing there is fine; a socket nobody listens on (connect gives ECONNREFUSED) is
    /// stale and removed; a socket with a listener (another running instance) or any other file is an error.
    public static func prepare(_ path: String) throws {
        let limit = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
        guard path.utf8.count <= limit else {
            throw Failure(description: "\(path): a Unix socket path holds at most \(limit) bytes, this one "
                          + "\(path.utf8.count); choose a shorter --socket / [socket] path")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw Failure(description: "\(path) exists and is not a socket; refusing to replace it")
        }
        switch probe(path) {
        case 0:
            throw Failure(description: "\(path) is in use by a running instance (connect succeeded); not removing it")
        case ECONNREFUSED:
            unlink(path)
        case let code:
            throw Failure(description: "\(path): cannot tell whether the socket is live (\(String(cString: strerror(code))))")
        }
    }

    /// Why binding `path` may have failed, for the error line: its directory missing or not writable.
    static func hint(for path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return "" }
        var info = stat()
        if stat(directory, &info) != 0 {
            return " (the directory \(directory) does not exist: create it, or give another path with --socket or "
                + "[socket] path; under systemd, RuntimeDirectory=csihard creates /run/csihard)"
        }
        if access(directory, W_OK) != 0 {
            return " (the directory \(directory) is not writable by this user: give another path with --socket)"
        }
        return ""
    }

    /// Connects to `path`: 0 on success, else errno.
    public static func probe(_ path: String) -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? 0 : errno
    }

    /// A short private name in `path`'s directory to bind before publishing with ``publish(_:at:)``; nil when that
    /// name would not fit in `sockaddr_un` (the caller then binds `path` directly).
    public static func stagingPath(for path: String) -> String? {
        let directory = (path as NSString).deletingLastPathComponent
        // Unique per call, not just per process: several servers may bind in one process (tests, two sockets).
        let staging = (directory.isEmpty ? "." : directory) + "/.csihard-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        return staging.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) ? staging : nil
    }

    /// Makes the bound socket `staging` reachable at `path` (a hard link, which fails rather than replace anything
    /// already there) and removes the staging name.
    public static func publish(_ staging: String, at path: String) throws {
        defer { unlink(staging) }
        if link(staging, path) != 0 {
            let code = errno
            throw Failure(description: code == EEXIST
                ? "\(path) appeared while binding (another instance?); not replacing it"
                : "\(path): cannot publish the socket: \(String(cString: strerror(code)))")
        }
    }

    /// Sets the socket's mode (e.g. 0660) and, when given, its group.
    public static func applyPermissions(path: String, mode: UInt16, group: String?) throws {
        if chmod(path, mode_t(mode)) != 0 {
            throw Failure(description: "\(path): chmod \(String(mode, radix: 8)) failed: \(String(cString: strerror(errno)))")
        }
        if let group {
            guard let entry = getgrnam(group) else { throw Failure(description: "socket group \"\(group)\" does not exist") }
            if chown(path, uid_t.max, entry.pointee.gr_gid) != 0 {
                throw Failure(description: "\(path): chgrp \(group) failed: \(String(cString: strerror(errno)))")
            }
        }
    }
}
