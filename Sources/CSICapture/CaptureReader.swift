/// A problem with one record of a capture: reported, counted, skipped; the stream goes on.
public struct CaptureIssue: Sendable, Hashable, CustomStringConvertible {
    /// File path or live source name.
    public var source: String
    /// Byte offset of the faulty record in the file (or in the live byte stream).
    public var offset: UInt64
    /// A short stable category used for counters, e.g. `truncated`, `bad-length`, `bad-magic`, `unsupported-linktype`.
    public var kind: String
    /// Human-readable reason.
    public var reason: String

    /// Creates an issue.
    public init(source: String, offset: UInt64, kind: String, reason: String) {
        self.source = source
        self.offset = offset
        self.kind = kind
        self.reason = reason
    }

    /// `file: offset N: reason`.
    public var description: String { "\(source): offset \(offset): \(reason) [\(kind)]" }
}

/// Streams frames out of a capture file or live source, one at a time, in constant memory.
///
/// Recoverable faults (a corrupt record, a truncated tail, an unsupported packet) never throw: they are
/// recorded in `issues`/`issueCounts`, the reader resynchronises, and `nextFrame()` goes on. Only faults
/// that make the whole source unusable (cannot open, unsupported link type for a whole pcap) throw
/// ``CaptureError``.
public protocol CaptureReader: AnyObject {
    /// The next frame, or `nil` at the end of the data currently available.
    /// For a followed (growing) file or a live source, `nil` means "nothing more yet".
    func nextFrame() throws -> CSIFrame?
    /// Counts of skipped or faulty records per ``CaptureIssue/kind``.
    var issueCounts: [String: Int] { get }
    /// Called for every recoverable issue as it happens (default: collected only in counts).
    var onIssue: (@Sendable (CaptureIssue) -> Void)? { get set }
}

/// A fault that makes a capture source unusable as a whole.
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    /// File path or live source name.
    public var source: String
    /// Byte offset where the fault was found, when it applies.
    public var offset: UInt64?
    /// Human-readable reason.
    public var reason: String

    /// Creates an error.
    public init(source: String, offset: UInt64? = nil, reason: String) {
        self.source = source
        self.offset = offset
        self.reason = reason
    }

    /// `file: offset N: reason` (offset omitted when unknown).
    public var description: String {
        if let offset { return "\(source): offset \(offset): \(reason)" }
        return "\(source): \(reason)"
    }
}

/// A reader that can tell how far into its file it is (for progress bars).
public protocol CaptureProgressReporting: AnyObject {
    /// Bytes of the capture consumed so far.
    var bytesConsumed: UInt64 { get }
}

extension CaptureIssue {
    /// Kinds that mark data skipped by design rather than damage: non-CSI Intel records (`skipped-code`),
    /// Atheros records without CSI (`no-csi`) and non-CSI packets in a pcap (`other-port`, `not-ipv4`, `not-udp`).
    public static let benignKinds: Set<String> = ["skipped-code", "no-csi", "other-port", "not-ipv4", "not-udp"]

    /// True for ``benignKinds``: tools count these but need not print each one.
    public var isBenign: Bool { Self.benignKinds.contains(kind) }
}
