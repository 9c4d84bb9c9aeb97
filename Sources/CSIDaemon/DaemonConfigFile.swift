/// Reads `csihard.toml` into ``DaemonSettings`` (see docs/configuration.md).
public enum DaemonConfigFile {
    /// Loads and validates `path`; errors name the line and key.
    public static func load(path: String) throws -> DaemonSettings {
        throw ConfigError(path: path, line: 0, key: nil, reason: "config files are not supported in this build yet")
    }
}

/// A config file problem: file, line, key, reason.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// 1-based line (0 when not tied to a line).
    public var line: Int
    /// The key (`table.key`), when known.
    public var key: String?
    /// Why.
    public var reason: String

    /// `file:line: key: reason`.
    public var description: String {
        var text = path
        if line > 0 { text += ":\(line)" }
        if let key { text += ": \(key)" }
        return text + ": " + reason
    }
}
