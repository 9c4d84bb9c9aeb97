import Foundation
import Logging

/// Logs one line per message to stderr with a `<N>` syslog priority prefix, which journald turns into the entry's
/// priority (sd-daemon(3)). Used when `JOURNAL_STREAM` is set; journald adds the timestamp.
public struct JournaldLogHandler: LogHandler {
    /// Minimum level logged.
    public var logLevel: Logger.Level = .info
    /// Metadata attached to every message.
    public var metadata: Logger.Metadata = [:]
    /// The label (e.g. `csihard`).
    public let label: String

    /// Creates a handler.
    public init(label: String) { self.label = label }

    /// Metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The `<N>` prefix for `level` (3 error ... 7 debug).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// Formats one line (no newline).
    public static func line(level: Logger.Level, label: String, message: Logger.Message, metadata: Logger.Metadata) -> String {
        var text = "<\(priority(level))>\(label): \(message)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value)" }
        return text.replacingOccurrences(of: "\n", with: " ")
    }

    /// Writes a message.
    public func log(event: LogEvent) {
        let merged = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        FileHandle.standardError.write(Data((Self.line(level: event.level, label: label, message: event.message,
                                                       metadata: merged) + "\n").utf8))
    }
}
