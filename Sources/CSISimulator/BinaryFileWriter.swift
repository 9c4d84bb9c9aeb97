#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to create or write an output file.
public struct WriterError: Error, Sendable, CustomStringConvertible {
    /// The output path.
    public var path: String
    /// What went wrong.
    public var reason: String
    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }
}

/// Buffered binary output to a file (C stdio), closed on `close()` or deinit.
final class BinaryFileWriter {
    let path: String
    private var file: UnsafeMutablePointer<FILE>?

    init(path: String) throws(WriterError) {
        self.path = path
        guard let handle = fopen(path, "wb") else {
            throw WriterError(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        file = handle
    }

    func write(_ bytes: [UInt8]) throws(WriterError) {
        guard let file else { throw WriterError(path: path, reason: "already closed") }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == bytes.count else {
            throw WriterError(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
    }

    func write(_ text: String) throws(WriterError) { try write(Array(text.utf8)) }

    func close() throws(WriterError) {
        guard let handle = file else { return }
        file = nil
        guard fclose(handle) == 0 else { throw WriterError(path: path, reason: "close failed") }
    }

    deinit { if let file { fclose(file) } }
}

extension Array where Element == UInt8 {
    /// Appends a little-endian u16.
    mutating func appendLE16(_ value: Int) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }
    /// Appends a little-endian u32.
    mutating func appendLE32(_ value: Int) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
    /// Appends a big-endian u16.
    mutating func appendBE16(_ value: Int) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }
}
