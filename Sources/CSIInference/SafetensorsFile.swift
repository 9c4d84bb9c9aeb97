import Foundation

/// A parsed `.safetensors` file: float32 tensors by name plus the `__metadata__` strings.
///
/// Layout: 8-byte little-endian header length `N`, `N` bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`),
/// then the tensor bytes. Every offset, shape and dtype is checked before anything is read, so a truncated or
/// hostile file gives a ``ModelFileError`` and never a trap or an allocation larger than the file.
public struct SafetensorsFile: Sendable {
    /// One tensor: its shape and its values (row-major float32).
    public struct Tensor: Sendable {
        /// Dimensions, outermost first.
        public var shape: [Int]
        /// `shape.reduce(1, *)` values.
        public var values: [Float]

        /// Creates a tensor; `values.count` must equal the product of `shape`.
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// The largest header accepted (16 MiB).
    public static let maxHeaderLength = 16 << 20

    /// Tensors by name.
    public var tensors: [String: Tensor]
    /// `__metadata__` (string to string), empty when absent.
    public var metadata: [String: String]

    /// Creates a file value from tensors and metadata (for writing).
    public init(tensors: [String: Tensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and parses the file at `path`.
    public static func read(path: String) throws(ModelFileError) -> SafetensorsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(path: path, field: "file", reason: "cannot be read (missing or not permitted)")
        }
        return try parse(bytes: [UInt8](data), source: path)
    }

    /// Parses `bytes`; `source` names the file in errors.
    public static func parse(bytes: [UInt8], source: String) throws(ModelFileError) -> SafetensorsFile {
        func fail(_ field: String, _ reason: String) -> ModelFileError {
            ModelFileError(path: source, field: field, reason: reason)
        }
        guard bytes.count >= 8 else {
            throw fail("header", "file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for index in 0..<8 { headerLength |= UInt64(bytes[index]) << (8 * UInt64(index)) }
        guard headerLength <= UInt64(maxHeaderLength) else {
            throw fail("header", "header length \(headerLength) exceeds the \(maxHeaderLength)-byte limit")
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header", "header length \(headerLength) runs past the end of the \(bytes.count)-byte file")
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = bytes.count - dataStart
        let headerObject: Any
        do {
            headerObject = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw fail("header", "is not valid JSON")
        }
        guard let header = headerObject as? [String: Any] else {
            throw fail("header", "is not a JSON object")
        }

        var metadata: [String: String] = [:]
        if let meta = header["__metadata__"] {
            guard let strings = meta as? [String: Any] else { throw fail("__metadata__", "is not an object") }
            for (key, value) in strings {
                guard let text = value as? String else { throw fail("__metadata__.\(key)", "is not a string") }
                metadata[key] = text
            }
        }

        var tensors: [String: Tensor] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []
        for (name, entry) in header where name != "__metadata__" {
            guard let info = entry as? [String: Any] else { throw fail(name, "entry is not an object") }
            guard let dtype = info["dtype"] as? String else { throw fail(name, "has no dtype") }
            guard dtype == "F32" else { throw fail(name, "dtype \(dtype) is not supported (F32 only)") }
            guard let shapeValues = info["shape"] as? [Any], shapeValues.count <= 8 else {
                throw fail(name, "shape is missing or has more than 8 dimensions")
            }
            var shape: [Int] = []
            var count = 1
            for value in shapeValues {
                guard let dimension = integer(value), dimension >= 0 else {
                    throw fail(name, "shape \(shapeValues) is not a list of sizes")
                }
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= dataLength / 4 + 1 else {
                    throw fail(name, "shape \(shapeValues) is larger than the file")
                }
                count = product
                shape.append(dimension)
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = integer(offsets[0]), let end = integer(offsets[1])
            else { throw fail(name, "data_offsets is not a pair of integers") }
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw fail(name, "data_offsets [\(begin), \(end)] lie outside the \(dataLength) data bytes")
            }
            guard end - begin == count * 4 else {
                throw fail(name, "data_offsets hold \(end - begin) bytes, shape \(shape) needs \(count * 4)")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { destination in
                bytes.withUnsafeBytes { source in
                    destination.copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: source[(dataStart + begin)..<(dataStart + end)]))
                }
            }
            // The file is little-endian; swap on a big-endian host rather than assume.
            if UInt32(1).bigEndian == 1 {
                for index in values.indices { values[index] = Float(bitPattern: values[index].bitPattern.byteSwapped) }
            }
            tensors[name] = Tensor(shape: shape, values: values)
            ranges.append((begin, end, name))
        }
        ranges.sort { $0.begin < $1.begin }
        for index in ranges.indices.dropFirst() where ranges[index].begin < ranges[index - 1].end {
            throw fail(ranges[index].name, "data overlaps tensor \(ranges[index - 1].name)")
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Serialises the file (tensors in name order, metadata as given).
    public func serialized() -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard let tensor = tensors[name] else { continue }
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.values.count]]
            offset += 4 * tensor.values.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var headerBytes = [UInt8]((try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8))
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        for name in names {
            tensors[name]?.values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// A JSON number that is an exact integer, or nil.
    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.isFinite, double.rounded() == double, abs(double) < 9.0e15 else { return nil }
        return Int(double)
    }
}
