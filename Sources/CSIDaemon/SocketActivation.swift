import Foundation

/// sd_listen_fds(3) by hand: descriptors passed by systemd start at 3.
public enum SocketActivation {
    /// The first passed descriptor.
    public static let firstDescriptor: Int32 = 3

    /// The listening descriptors passed to this process (`LISTEN_PID` must be ours), marked close-on-exec.
    /// With `unsetEnvironment`, the variables are removed so children do not inherit them.
    public static func listenDescriptors(environment: [String: String], pid: Int32 = getpid(),
                                         unsetEnvironment: Bool = true) -> [Int32] {
        guard let pidText = environment["LISTEN_PID"], Int32(pidText) == pid,
              let countText = environment["LISTEN_FDS"], let count = Int32(countText), count > 0 else { return [] }
        if unsetEnvironment {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        return (0..<count).map { offset in
            let descriptor = firstDescriptor + offset
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
            return descriptor
        }
    }
}
