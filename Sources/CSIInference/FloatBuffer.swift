/// A float buffer allocated once (zeroed, 64-byte aligned) and freed with its owner; the engine's scratch memory.
///
/// Sessions own these so that a forward pass allocates nothing; models keep their weights in them (written once
/// at load, read-only afterwards, hence `@unchecked Sendable`).
final class FloatBuffer: @unchecked Sendable {
    /// The first element.
    let pointer: UnsafeMutablePointer<Float>
    /// Number of floats.
    let count: Int

    /// Allocates `count` zeroed floats (at least one, so the pointer is always valid).
    init(count: Int) {
        self.count = max(1, count)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: self.count * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: self.count)
        pointer.initialize(repeating: 0, count: self.count)
    }

    /// Allocates a copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// Sets every element to zero.
    func zero() {
        pointer.update(repeating: 0, count: count)
    }
}
