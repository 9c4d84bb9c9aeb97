import CSICapture
import Foundation

/// Minimal `.npy` (NumPy format 1.0/2.0) reading and streaming writing for datasets: little-endian numeric dtypes,
/// C order. (CSIInference's `NumpyArray` is the engine's general reader; this one lives here so the dataset
/// exporter needs nothing beyond CSIFeatures.)
public enum NumpyFile {
    /// A bad or unsupported `.npy` file; names the file and the problem.
    public struct FormatError: Error, Sendable, CustomStringConvertible {
        /// File path.
        public var path: String
        /// What is wrong.
        public var reason: String
        /// `path: reason`.
        public var description: String { "\(path): \(reason)" }
    }

    /// A loaded array converted to Double, with its shape.
    public struct Array: Sendable {
        /// Shape (C order).
        public var shape: [Int]
        /// Values, row-major.
        public var values: [Double]
    }

    /// The header text for `descr` and `shape`, padded so that the data starts at `minimumLength` bytes at least
    /// (so a streaming writer can rewrite the shape in place).
    static func header(descr: String, shape: [Int], minimumLength: Int = 128) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let prefix = 10
        var total = prefix + dict.utf8.count + 1
        let target = max(minimumLength, ((total + 63) / 64) * 64)
        dict += String(repeating: " ", count: target - total)
        total = target
        var bytes: [UInt8] = [0x93] + Swift.Array("NUMPY".utf8) + [1, 0]
        let length = dict.utf8.count + 1
        bytes.append(UInt8(length & 0xff))
        bytes.append(UInt8(length >> 8))
        bytes += Swift.Array(dict.utf8) + [0x0a]
        return bytes
    }

    /// Writes a whole array: `descr` `<f4`, `<i8` or `<i4`, values given as raw little-endian bytes.
    public static func write(path: String, descr: String, shape: [Int], data: Data) throws {
        var file = Data(header(descr: descr, shape: shape))
        file.append(data)
        do { try file.write(to: URL(fileURLWithPath: path)) } catch {
            throw FormatError(path: path, reason: "cannot write (\(FileErrorReason.describe(error)))")
        }
    }

    /// Writes Int64 values as `<i8`.
    public static func write(path: String, int64 values: [Int64]) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try write(path: path, descr: "<i8", shape: [values.count], data: data)
    }

    /// Writes Int32 values as `<i4`.
    public static func write(path: String, int32 values: [Int32]) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try write(path: path, descr: "<i4", shape: [values.count], data: data)
    }

    /// Reads a numeric array (`<f4 <f8 <i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1`, C order) as Double values.
    public static func read(path: String) throws -> Array {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FormatError(path: path, reason: "cannot read (\(FileErrorReason.describe(error)))")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Swift.Array(bytes[1..<6]) == Swift.Array("NUMPY".utf8) else {
            throw FormatError(path: path, reason: "not a .npy file (missing \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else if major == 2 || major == 3, bytes.count >= 12 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        } else {
            throw FormatError(path: path, reason: "unsupported .npy version \(major)")
        }
        guard start + headerLength <= bytes.count else { throw FormatError(path: path, reason: "truncated header") }
        let text = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        func field(_ name: String) -> String? {
            guard let range = text.range(of: "'\(name)':") else { return nil }
            return String(text[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrField = field("descr"), let quoteEnd = descrField.dropFirst().firstIndex(of: "'") else {
            throw FormatError(path: path, reason: "header has no descr")
        }
        let descr = String(descrField[descrField.index(after: descrField.startIndex)..<quoteEnd])
        if let fortran = field("fortran_order"), fortran.hasPrefix("True") {
            throw FormatError(path: path, reason: "fortran_order arrays are not supported")
        }
        guard let shapeField = field("shape"), let open = shapeField.firstIndex(of: "("),
              let close = shapeField.firstIndex(of: ")") else {
            throw FormatError(path: path, reason: "header has no shape")
        }
        let shape = shapeField[shapeField.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.compactMap { Int($0) }
        let count = shape.reduce(1, *)
        let sizes: [String: Int] = ["<f4": 4, "<f8": 8, "|i1": 1, "<i2": 2, "<i4": 4, "<i8": 8, "|u1": 1, "<u2": 2,
                                    "<u4": 4, "<u8": 8, "|b1": 1]
        guard let size = sizes[descr] else { throw FormatError(path: path, reason: "unsupported dtype \(descr)") }
        let dataStart = start + headerLength
        guard bytes.count - dataStart >= count * size else {
            throw FormatError(path: path, reason: "data holds \(bytes.count - dataStart) bytes, shape \(shape) needs \(count * size)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!.advanced(by: dataStart)
            for i in 0..<count {
                let p = base.advanced(by: i * size)
                switch descr {
                case "<f4": values[i] = Double(Float(bitPattern: p.loadUnaligned(as: UInt32.self).littleEndian))
                case "<f8": values[i] = Double(bitPattern: p.loadUnaligned(as: UInt64.self).littleEndian)
                case "|i1": values[i] = Double(p.loadUnaligned(as: Int8.self))
                case "<i2": values[i] = Double(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
                case "<i4": values[i] = Double(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
                case "<i8": values[i] = Double(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
                case "|u1", "|b1": values[i] = Double(p.loadUnaligned(as: UInt8.self))
                case "<u2": values[i] = Double(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
                case "<u4": values[i] = Double(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
                default: values[i] = Double(UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
                }
            }
        }
        return Array(shape: shape, values: values)
    }
}

/// Streams a float32 array of shape (N, rows, columns) to a `.npy` file, N unknown until `finish()`.
final class NumpyFloatStreamWriter {
    let path: String
    let innerShape: [Int]
    private let handle: FileHandle
    private(set) var count = 0
    private var pending = Data()

    init(path: String, innerShape: [Int]) throws {
        self.path = path
        self.innerShape = innerShape
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw NumpyFile.FormatError(path: path, reason: "cannot create (\(String(cString: strerror(errno))))")
        }
        self.handle = handle
        try handle.write(contentsOf: NumpyFile.header(descr: "<f4", shape: [0] + innerShape))
    }

    /// Appends one item of `innerShape` floats.
    func append(_ values: UnsafeBufferPointer<Float>) throws {
        pending.append(values)
        count += 1
        if pending.count >= 1 << 22 { try handle.write(contentsOf: pending); pending.removeAll(keepingCapacity: true) }
    }

    /// Flushes, rewrites the header with the final N, closes.
    func finish() throws {
        try handle.write(contentsOf: pending)
        pending.removeAll()
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: NumpyFile.header(descr: "<f4", shape: [count] + innerShape))
        try handle.close()
    }
}
