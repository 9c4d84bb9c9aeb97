/// Where the broker is: `mqtt://HOST[:PORT]` (plain TCP, port 1883 by default) or `mqtts://HOST[:PORT]` (TLS,
/// 8883). IPv6 literals go in brackets (`mqtt://[::1]:1883`). User info (`mqtt://user:pass@host`) is refused:
/// credentials come from `mqtt.credentials_file`, so they are not on command lines or in `ps` output. A path other
/// than `/`, a query or a fragment is refused too.
public struct MQTTURL: Sendable, Hashable, CustomStringConvertible {
    /// True for `mqtts://` (TLS).
    public var tls: Bool
    /// Host name or IP address (without brackets).
    public var host: String
    /// TCP port.
    public var port: Int

    /// Why a URL is refused.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// The reason, naming the URL.
        public var description: String
    }

    /// Creates a URL from its parts.
    public init(tls: Bool, host: String, port: Int) {
        self.tls = tls
        self.host = host
        self.port = port
    }

    /// Parses `mqtt://HOST[:PORT]` or `mqtts://HOST[:PORT]`.
    public init(parsing text: String) throws(ParseError) {
        // A password given in the URL is not echoed into the error (and so the log).
        var shown = text
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@") {
            shown = String(text[..<scheme.upperBound]) + "***" + String(text[at...])
        }
        func fail(_ reason: String) -> ParseError { ParseError(description: "'\(shown)': \(reason)") }
        let rest: Substring
        if text.hasPrefix("mqtt://") {
            tls = false
            rest = text.dropFirst("mqtt://".count)
        } else if text.hasPrefix("mqtts://") {
            tls = true
            rest = text.dropFirst("mqtts://".count)
        } else {
            throw fail("must start with mqtt:// or mqtts://")
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { throw fail("must not have a path (mqtt://HOST:PORT)") }
            authority = rest[..<slash]
        }
        if authority.contains("?") || authority.contains("#") { throw fail("must not have a query or fragment") }
        if authority.contains("@") {
            throw fail("must not contain a user name or password; put them in mqtt.credentials_file")
        }
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw fail("unclosed [ in an IPv6 address") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("expected :PORT after ]") }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail("IPv6 addresses go in brackets: mqtt://[::1]:1883") }
            host = String(parts[0])
            portText = parts.count == 2 ? parts[1] : nil
        }
        guard !host.isEmpty else { throw fail("has no host") }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:%".contains($0) }) else {
            throw fail("'\(host)' is not a host name or address")
        }
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw fail("the port must be a number within 1...65535, not '\(portText)'")
            }
            port = value
        } else {
            port = tls ? 8883 : 1883
        }
    }

    /// `mqtt://host:port` (IPv6 hosts in brackets), as log lines and errors name the broker.
    public var description: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return (tls ? "mqtts://" : "mqtt://") + shown + ":" + String(port)
    }
}
