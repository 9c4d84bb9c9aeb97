import Foundation

/// Where the Prometheus endpoint listens (`metrics.listen`, `--metrics-listen`): `HOST:PORT` with an IPv4 address,
/// a bracketed IPv6 address (`[::1]:9464`) or `localhost` (127.0.0.1), and a port 1-65535. Host names other than
/// `localhost` are refused: the endpoint binds an address of this machine, never one a resolver chose.
public struct MetricsListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address as written (`127.0.0.1`, `::1`, `localhost`), without brackets.
    public var host: String
    /// TCP port, 1-65535.
    public var port: Int

    /// Why a `HOST:PORT` text is refused.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// The rejected text.
        public var text: String
        /// Why.
        public var reason: String
        /// `'TEXT': reason`.
        public var description: String { "'\(text)': \(reason)" }
    }

    /// Creates an address from its parts (not checked; ``init(parsing:)`` checks).
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`, `[::]:9464`, `localhost:9464`).
    public init(parsing text: String) throws(ParseError) {
        func refuse(_ reason: String) -> ParseError { ParseError(text: text, reason: reason) }
        let host: String, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw refuse("an IPv6 address needs a closing ']'") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw refuse("expected HOST:PORT, e.g. [::1]:9464") }
            portText = rest.dropFirst()
            guard Self.isIPv6(host) else { throw refuse("'\(host)' is not an IPv6 address") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw refuse("expected HOST:PORT, e.g. 127.0.0.1:9464") }
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw refuse("an IPv6 address goes in brackets, e.g. [::1]:9464") }
            guard host == "localhost" || Self.isIPv4(host) else {
                throw refuse(host.isEmpty ? "the host is missing (127.0.0.1 for this machine only, 0.0.0.0 for every interface)"
                             : "'\(host)' is not an IPv4 address, a bracketed IPv6 address or localhost")
            }
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), portText.count <= 5,
              let port = Int(portText), (1...65535).contains(port) else {
            throw refuse("the port must be a number within 1...65535")
        }
        self.init(host: host, port: port)
    }

    /// The numeric address to bind (`localhost` is 127.0.0.1).
    public var bindHost: String { host == "localhost" ? "127.0.0.1" : host }

    /// `127.0.0.1:9464`, `[::1]:9464`, `localhost:9464`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether `text` is a dotted-quad IPv4 address.
    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return !text.isEmpty && inet_pton(AF_INET, text, &address) == 1
    }

    /// Whether `text` is an IPv6 address (no zone index).
    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return !text.isEmpty && inet_pton(AF_INET6, text, &address) == 1
    }
}
