import Foundation

/// The sd_notify(3) protocol written by hand (no libsystemd): datagrams of `KEY=value` lines to `$NOTIFY_SOCKET`.
/// Does nothing when the variable is absent (not started by systemd). Takes the environment as a value so tests
/// can play systemd's side.
public final class SystemdNotifier: Sendable {
    /// The socket path (`@` prefix = abstract namespace), `nil` when not under systemd.
    public let socketPath: String?
    /// Watchdog interval requested by systemd (`WATCHDOG_USEC`), when it is meant for this process.
    public let watchdogInterval: Double?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String], pid: Int32 = getpid()) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        if let text = environment["WATCHDOG_USEC"], let microseconds = Double(text), microseconds > 0,
           environment["WATCHDOG_PID"].map({ Int32($0) == pid }) ?? true {
            watchdogInterval = microseconds / 1e6
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends `state` (e.g. `READY=1\nSTATUS=serving`). Returns false when not under systemd or sending failed.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            if !abstract { raw[bytes.count] = 0 }
        }
        // Abstract names are exactly their bytes; paths include the terminating NUL.
        let length = MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { buffer in
                    sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
                }
            }
        }
        return sent == message.count
    }

    /// `READY=1` plus a status line.
    @discardableResult
    public func ready(status: String) -> Bool { notify("READY=1\nSTATUS=\(status)") }

    /// `STATUS=...`.
    @discardableResult
    public func status(_ text: String) -> Bool { notify("STATUS=\(text)") }

    /// `WATCHDOG=1`.
    @discardableResult
    public func watchdog() -> Bool { notify("WATCHDOG=1") }

    /// `RELOADING=1` (before a SIGHUP reload) or `READY=1` after it.
    @discardableResult
    public func reloading() -> Bool { notify("RELOADING=1") }

    /// `STOPPING=1`.
    @discardableResult
    public func stopping() -> Bool { notify("STOPPING=1") }
}
