/// Follows a `.csi` file that is still too short to tell PicoScenes from FeitCSI (a capture that has just
/// started), and hands over to the right reader once the first bytes are there.
///
/// ``CaptureFile/open(path:format:options:)`` returns it in follow mode for a `.csi` file shorter than a FeitCSI
/// record header. Until the format is known, `nextFrame()` returns `nil` (nothing yet); once 8 bytes show the
/// PicoScenes magic, or 272 bytes a FeitCSI header, it opens ``PicoScenesReader`` or ``FeitCSIReader`` with
/// `follow: true` and forwards to it. Bytes that are neither throw ``CaptureError``.
public final class CSIFileFormatFollower: CaptureReader, CaptureProgressReporting {
    /// The capture path.
    public let path: String
    /// The reader chosen once the format is known.
    public private(set) var inner: (any CaptureReader)?
    /// Issue handler, passed on to the inner reader when it is opened.
    private var handler: (@Sendable (CaptureIssue) -> Void)?

    /// Starts following `path` (the file must exist; it may be empty).
    public init(path: String) throws {
        self.path = path
        _ = try FileByteStream(path: path, chunkSize: 64)   // fails now if it cannot be opened
    }

    /// Counts of the inner reader (empty before it exists).
    public var issueCounts: [String: Int] { inner?.issueCounts ?? [:] }

    /// Called for every recoverable issue of the inner reader.
    public var onIssue: (@Sendable (CaptureIssue) -> Void)? {
        get { handler }
        set {
            handler = newValue
            inner?.onIssue = newValue
        }
    }

    /// Bytes the inner reader consumed so far.
    public var bytesConsumed: UInt64 { (inner as? CaptureProgressReporting)?.bytesConsumed ?? 0 }

    /// The next frame of the inner reader, or `nil` while the format cannot be told yet.
    public func nextFrame() throws -> CSIFrame? {
        if inner == nil {
            let head = try CaptureFile.readHead(path: path, count: IntelMVMCSIHeader.size)
            let format: CaptureFormat
            if head.count >= 8 && Array(head[4..<8]) == [0x15, 0x03, 0x15, 0x20] {
                format = .picoscenes
            } else if head.withUnsafeBytes({ FeitCSIReader.plausibleHeader($0) }) {
                format = .feitcsi
            } else if head.count < IntelMVMCSIHeader.size && (head.count < 8 || head.count < IntelMVMCSIHeader.fieldsSize) {
                return nil
            } else {
                throw CaptureError(source: path, offset: 0,
                                   reason: "neither the PicoScenes magic nor a FeitCSI record header at the start of the file")
            }
            let reader = try CaptureFile.open(path: path, format: format, options: CaptureOptions(follow: true))
            reader.onIssue = handler
            inner = reader
        }
        return try inner?.nextFrame()
    }
}
