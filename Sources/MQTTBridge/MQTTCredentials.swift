import Foundation

/// A user name and password for the broker, read from a file with one line `USERNAME:PASSWORD` (split at the
/// first colon, so a password may contain colons; one trailing newline is ignored). Keep it mode 0600/0640.
public struct MQTTCredentials: Sendable, Equatable {
    /// User name.
    public var username: String
    /// Password (may be empty).
    public var password: String

    /// Creates credentials.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Parses the file's text; the error says why, without echoing the password.
    public init(parsing text: String) throws(MQTTURL.ParseError) {
        var line = Substring(text)
        if line.hasSuffix("\r\n") { line = line.dropLast(2) } else if line.hasSuffix("\n") { line = line.dropLast() }
        guard !line.contains("\n") else { throw MQTTURL.ParseError(description: "must hold one line USERNAME:PASSWORD") }
        guard let colon = line.firstIndex(of: ":") else {
            throw MQTTURL.ParseError(description: "must hold one line USERNAME:PASSWORD (no colon found)")
        }
        let user = line[..<colon]
        guard !user.isEmpty else { throw MQTTURL.ParseError(description: "has an empty user name") }
        username = String(user)
        password = String(line[line.index(after: colon)...])
    }

    /// Reads and parses `path`; the error names the path.
    public static func load(path: String) throws(MQTTURL.ParseError) -> MQTTCredentials {
        if let problem = MQTTSettings.checkReadableFile(path) { throw MQTTURL.ParseError(description: problem) }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw MQTTURL.ParseError(description: "\(path): cannot be read as UTF-8 text")
        }
        do {
            return try MQTTCredentials(parsing: text)
        } catch {
            throw MQTTURL.ParseError(description: "\(path): \(error.description)")
        }
    }
}
