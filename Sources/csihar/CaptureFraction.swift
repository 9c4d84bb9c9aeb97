import CSICapture
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The share of a capture file read so far (0...1): the reader's byte position over the file's size, for the
/// readers that report their position (``CaptureProgressReporting``); nil otherwise or for an empty file.
struct CaptureFraction {
    private let reader: (any CaptureProgressReporting)?
    private let size: UInt64

    /// The fraction of `path` that `reader` has consumed.
    init(path: String, reader: any CaptureReader) {
        self.reader = reader as? any CaptureProgressReporting
        var info = stat()
        size = stat(path, &info) == 0 ? UInt64(max(0, info.st_size)) : 0
    }

    /// Bytes consumed over the file size, at most 1.
    var value: Double? {
        guard let reader, size > 0 else { return nil }
        return min(1, Double(reader.bytesConsumed) / Double(size))
    }
}
