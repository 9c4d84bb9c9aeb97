import Foundation

/// A plain blocking HTTP/1.1 client over a TCP socket (no URLSession, no curl), for the metrics endpoint tests.
enum HTTPTestClient {
    /// One parsed response.
    struct Response {
        var status: Int
        /// Header names lower-cased.
        var headers: [String: String]
        var body: String
    }

    /// A TCP port on 127.0.0.1 free right now (bound to port 0 and released; the kernel does not hand it out again
    /// at once).
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = loopback(port: 0)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A listening socket on 127.0.0.1:`port` (to make a port busy); close it with `close()`.
    static func listen(port: Int) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(descriptor, 4) == 0 else { close(descriptor); return -1 }
        return descriptor
    }

    /// Connects to 127.0.0.1:`port` (-1 when refused).
    static func connect(port: Int, timeout: Double = 5) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(descriptor); return -1 }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        return descriptor
    }

    /// Sends `request` (raw bytes) on a fresh connection and reads `count` responses (to EOF for the last one when
    /// it has no length); nil when the connection is refused.
    static func exchange(port: Int, request: String, responses count: Int = 1, headOnly: Bool = false) -> [Response]? {
        let descriptor = connect(port: port)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var responses: [Response] = []
        while responses.count < count {
            if let (response, used) = parse(data, headOnly: headOnly) {
                responses.append(response)
                data.removeFirst(used)
                continue
            }
            let read = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if read <= 0 { break }
            data.append(contentsOf: buffer[0..<read])
        }
        return responses
    }

    /// `GET path` with `Connection: close`; nil when refused or no response.
    static func get(port: Int, path: String = "/metrics", method: String = "GET") -> Response? {
        exchange(port: port, request: "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                 headOnly: method == "HEAD")?.first
    }

    /// One whole response at the start of `data` (with a Content-Length body unless `headOnly`), and the bytes it used.
    private static func parse(_ data: [UInt8], headOnly: Bool) -> (Response, Int)? {
        let separator = Array("\r\n\r\n".utf8)
        guard data.count >= 4, let end = (0...(data.count - 4)).first(where: { Array(data[$0..<($0 + 4)]) == separator }) else {
            return nil
        }
        let head = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = headOnly ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        guard data.count >= end + 4 + length else { return nil }
        let body = String(decoding: data[(end + 4)..<(end + 4 + length)], as: UTF8.self)
        return (Response(status: status, headers: headers, body: body), end + 4 + length)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
