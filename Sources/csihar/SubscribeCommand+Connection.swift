import Foundation

/// A blocking client for csihard's subscriber socket: connect, send one request line, read NDJSON lines.
final class SubscriberConnection {
    private let descriptor: Int32
    private var pending: [UInt8] = []

    /// Connects to `path`; the error says whether the daemon is not running or the path is wrong.
    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw CommandFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw CommandFailure("\(path): socket path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw CommandFailure("cannot connect to \(path): \(reason) (is csihard running? try --socket)")
        }
    }

    deinit { close(descriptor) }

    /// Sends one request line (a JSON object).
    func send(line: String) throws {
        let bytes = Array((line + "\n").utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw CommandFailure("send failed: \(String(cString: strerror(errno)))") }
    }

    /// The next line, `nil` at EOF (daemon stopped) or after `timeout` seconds without one.
    func nextLine(timeout: Double? = nil) -> String? {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[0..<newline], as: UTF8.self)
                pending.removeSubrange(0...newline)
                return line
            }
            if let deadline {
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else { return nil }
                var descriptorSet = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                if poll(&descriptorSet, 1, Int32(remaining * 1000) + 1) <= 0 { return nil }
            }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                if count < 0 && errno == EINTR { continue }
                return nil
            }
            pending.append(contentsOf: buffer[0..<count])
        }
    }
}

