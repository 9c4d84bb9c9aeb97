#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only window onto a file that may still be growing.
///
/// Reads the file in chunks into one preallocated buffer and hands out the bytes that are buffered and not yet
/// consumed. When a reader needs more bytes than are buffered, `fill(atLeast:)` reads more; at the current end of
/// the file it returns `false` and can simply be called again later (the file is followed, never re-opened).
/// Memory is bounded by the largest request plus one chunk.
final class FileByteStream {
    /// The path, used in issues and errors.
    let path: String
    /// The open file descriptor, or -1 after `close()`.
    private var descriptor: Int32
    /// Buffered bytes: `storage[start..<end]` are unconsumed. (capacity)
    private var storage: [UInt8]
    /// Index of the first unconsumed byte in `storage`.
    private var start = 0
    /// One past the last buffered byte in `storage`.
    private var end = 0
    /// File offset of `storage[start]`.
    private(set) var offset: UInt64 = 0
    /// Bytes read per `read(2)` call.
    private let chunkSize: Int
    /// True once a `read` returned 0 (current end of file). Cleared by a later successful read.
    private(set) var atEnd = false

    /// Opens `path` for reading. Throws ``CaptureError`` when the file cannot be opened.
    init(path: String, chunkSize: Int = 1 << 18) throws {
        self.path = path
        self.chunkSize = chunkSize
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw CaptureError(source: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw CaptureError(source: path, reason: "is a directory, not a capture file")
        }
        descriptor = fd
        storage = [UInt8](repeating: 0, count: chunkSize * 2)
    }

    /// Serves `bytes` from memory instead of a file (`fill` never finds more); `name` stands for the path.
    init(bytes: [UInt8], name: String) {
        path = name
        chunkSize = max(1, bytes.count)
        descriptor = -1
        storage = bytes
        end = bytes.count
        atEnd = true
    }

    deinit { closeFile() }

    /// Closes the file; further `fill` calls return `false`.
    func closeFile() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    /// Number of buffered, unconsumed bytes.
    var available: Int { end - start }

    /// Makes at least `count` bytes available, reading from the file as needed.
    /// Returns `false` when the file (currently) ends before that.
    func fill(atLeast count: Int) -> Bool {
        while end - start < count {
            guard descriptor >= 0 else { return false }
            // Compact, then grow when one request exceeds the buffer (bounded by the callers' length caps).
            if start > 0 && storage.count - end < chunkSize {
                storage.withUnsafeMutableBytes { raw in
                    let base = raw.baseAddress!
                    memmove(base, base + start, end - start)
                }
                end -= start
                start = 0
            }
            if storage.count - end < max(chunkSize, count - (end - start)) {
                storage.append(contentsOf: [UInt8](repeating: 0, count: max(chunkSize, count)))
            }
            let want = storage.count - end
            let got = storage.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + end, want)
            }
            if got <= 0 {
                if got < 0 && errno == EINTR { continue }
                atEnd = true
                return false
            }
            atEnd = false
            end += got
        }
        return true
    }

    /// Byte `index` past the current position (requires `index < available`).
    @inline(__always)
    subscript(index: Int) -> UInt8 { storage[start + index] }

    /// Calls `body` with the `count` bytes at the current position (requires `count <= available`).
    @inline(__always)
    func withBytes<R>(count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)]))
        }
    }

    /// Consumes `count` bytes (requires `count <= available`).
    @inline(__always)
    func consume(_ count: Int) {
        start += count
        offset += UInt64(count)
    }
}
