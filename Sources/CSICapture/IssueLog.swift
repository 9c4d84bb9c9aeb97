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
