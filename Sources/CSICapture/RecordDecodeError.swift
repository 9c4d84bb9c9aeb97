/// Why one record (an Intel 5300 body, a Nexmon payload, a CSV line) could not be decoded.
///
/// Decoders throw this; readers turn it into a ``CaptureIssue`` carrying the file and byte offset.
public struct RecordDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short stable category used for counters, e.g. `bad-length`, `bad-magic`, `unknown-chip`.
    public var kind: String
    /// Human-readable reason.
    public var reason: String

    /// Creates an error.
    public init(kind: String, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// `reason [kind]`.
    public var description: String { "\(reason) [\(kind)]" }
}

extension CaptureIssue {
    /// Kinds that mark data skipped by design rather than damage: non-CSI Intel records (`skipped-code`),
    /// Atheros records without CSI (`no-csi`) and non-CSI packets in a pcap (`other-port`, `not-ipv4`, `not-udp`).
    public static let benignKinds: Set<String> = ["skipped-code", "no-csi", "other-port", "not-ipv4", "not-udp"]

    /// True for ``benignKinds``: tools count these but need not print each one.
    public var isBenign: Bool { Self.benignKinds.contains(kind) }
}

/// Counts and forwards the recoverable issues of one reader.
struct IssueLog {
    /// The file path or live source name put into every issue.
    let source: String
    /// Number of issues per kind.
    var counts: [String: Int] = [:]
    /// Called for every issue.
    var handler: (@Sendable (CaptureIssue) -> Void)?

    /// Counts the issue and passes it to the handler.
    mutating func report(offset: UInt64, kind: String, reason: String) {
        counts[kind, default: 0] += 1
        handler?(CaptureIssue(source: source, offset: offset, kind: kind, reason: reason))
    }

    /// Counts a decode error as an issue at `offset`.
    mutating func report(offset: UInt64, _ error: RecordDecodeError) {
        report(offset: offset, kind: error.kind, reason: error.reason)
    }
}
