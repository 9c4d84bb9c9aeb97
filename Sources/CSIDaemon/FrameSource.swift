import CSICapture

/// What a source has for the pipeline thread right now.
enum SourcePoll {
    /// A frame, due now.
    case frame(CSIFrame)
    /// Nothing due; ask again in at most this many seconds.
    case wait(Double)
    /// The source is finished for good.
    case ended(reason: String)
    /// The source's device went away (its streams go down with this reason); the source keeps trying to reopen it.
    case lost(reason: String)
}

/// A problem a source reports to the pipeline (published as `stream.error`).
struct SourceProblem: Sendable {
    var kind: String
    var message: String
    var countsAsRecordIssue: Bool
}

/// A source polled by the pipeline thread. Never blocks.
protocol FrameSource: AnyObject {
    /// `replay:FILE`, `pcap:IFACE`, `netlink`.
    var name: String { get }
    /// True for a capture that does not wait for the daemon (its frames may be shed under load, oldest first);
    /// false for a replay, which waits and loses nothing.
    var isLive: Bool { get }
    /// The next due frame, a wait hint, or the end. `now` is monotonic seconds.
    func poll(now: Double) -> SourcePoll
    /// Problems since the last call (corrupt records, interface errors).
    func takeProblems() -> [SourceProblem]
    /// Counters so far.
    var counters: SourceCounters { get }
    /// Releases the device or file.
    func close()
}
