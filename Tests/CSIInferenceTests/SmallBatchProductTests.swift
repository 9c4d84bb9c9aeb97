import Testing
@testable import CSIInference

/// The recurrent product of 2...64 rows (``LinearAlgebra/multiplyTransposedLeft(_:rows:columns:rowStride:vectors:count:vectorStride:into:outputStride:)``,
/// the daemon's per-tick batches) against a double-precision reference computed here, on the engine's shapes and on
/// ragged ones (columns not a multiple of 16, strides wider than the rows); then a whole model: windows of batches
/// of 2-7, 16 and 64 equal the same windows one at a time (one `sgemv` each).
struct SmallBatchProductTests {
    /// A recurrent-product kernel: (matrix, rows, columns, rowStride, vectors, count, vectorStride, output,
    /// outputStride).
    private typealias Kernel = (UnsafePointer<Float>, Int, Int, Int, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>, Int) -> Void

    /// `count` outputs of `kernel` (`multiplyTransposedLeft` or its AVX2 variant) in rows of `outputStride`, the
    /// padding left NaN.
    private func product(_ kernel: Kernel,
                         matrix: [Float], rows: Int, columns: Int, rowStride: Int,
                         vectors: [Float], count: Int, vectorStride: Int, outputStride: Int) -> [Float] {
        var output = [Float](repeating: .nan, count: count * outputStride)
        matrix.withUnsafeBufferPointer { m in
            vectors.withUnsafeBufferPointer { v in
                output.withUnsafeMutableBufferPointer { o in
                    kernel(m.baseAddress!, rows, columns, rowStride, v.baseAddress!, count, vectorStride, o.baseAddress!, outputStride)
                }
            }
        }
        return output
    }

    /// The dispatched product (AVX-512 where the CPU has it).
    private let dispatched: Kernel = {
        LinearAlgebra.multiplyTransposedLeft($0, rows: $1, columns: $2, rowStride: $3, vectors: $4, count: $5, vectorStride: $6,
                                             into: $7, outputStride: $8)
    }

    /// The AVX2 product.
    private let avx2: Kernel = {
        LinearAlgebra.multiplyTransposedLeftAVX2($0, rows: $1, columns: $2, rowStride: $3, vectors: $4, count: $5, vectorStride: $6,
                                                 into: $7, outputStride: $8)
    }

    @Test(arguments: [(200, 800), (64, 192), (128, 384), (7, 37), (3, 9), (90, 24)])
    func productMatchesADoubleReference(shape: (rows: Int, columns: Int)) {
        let (rows, columns) = shape
        let rowStride = columns + 3, vectorStride = rows + 5, outputStride = columns + 2
        let matrix = TestModels.windows(count: rows * rowStride, seed: 21)
        var maxdiff: Float = 0, largest: Float = 0
        for count in Array(2...7) + [16, 64] {
            let vectors = TestModels.windows(count: count * vectorStride, seed: UInt64(30 + count))
            let output = product(dispatched, matrix: matrix, rows: rows, columns: columns, rowStride: rowStride,
                                 vectors: vectors, count: count, vectorStride: vectorStride, outputStride: outputStride)
            for r in 0..<count {
                for c in 0..<columns {
                    var sum = 0.0
                    for i in 0..<rows { sum += Double(matrix[i * rowStride + c]) * Double(vectors[r * vectorStride + i]) }
                    maxdiff = max(maxdiff, abs(output[r * outputStride + c] - Float(sum)))
                    largest = max(largest, Float(abs(sum)))
                }
                // the padding between output rows is never written
                for c in columns..<outputStride { #expect(output[r * outputStride + c].isNaN) }
            }
        }
        // float32 sums of `rows` products: tolerance relative to the largest output
        print("small-batch product \(rows) x \(columns), 2...7, 16 and 64 vectors: maxdiff \(maxdiff) to a double reference, "
              + "largest output \(largest) (tolerance 1e-5 x largest)")
        #expect(maxdiff <= 1e-5 * max(largest, 1))
    }

    /// The AVX-512 kernel (used on CPUs that have it) and the AVX2 one give the same values: each output is the same
    /// sum in the same order with one fused multiply-add per term. Skipped where the CPU has no AVX-512.
    @Test(arguments: [(200, 800), (64, 192), (7, 37), (90, 24), (3, 9)])
    func avx512KernelEqualsTheAVX2Kernel(shape: (rows: Int, columns: Int)) {
        guard LinearAlgebra.avx512Kernel else {
            print("SKIP: this CPU has no AVX-512 (or CSIHAR_KERNEL=avx2): the AVX-512 kernel is not used here")
            return
        }
        let (rows, columns) = shape
        let rowStride = columns + 5, vectorStride = rows + 3, outputStride = columns + 1
        let matrix = TestModels.windows(count: rows * rowStride, seed: 51)
        var maxdiff: Float = 0
        for count in [1, 2, 5, 7, 8, 9, 16, 33, 64] {
            let vectors = TestModels.windows(count: count * vectorStride, seed: UInt64(60 + count))
            let wide = product(dispatched, matrix: matrix, rows: rows, columns: columns, rowStride: rowStride,
                               vectors: vectors, count: count, vectorStride: vectorStride, outputStride: outputStride)
            let narrow = product(avx2, matrix: matrix, rows: rows, columns: columns, rowStride: rowStride,
                                 vectors: vectors, count: count, vectorStride: vectorStride, outputStride: outputStride)
            for r in 0..<count {
                for c in 0..<columns { maxdiff = max(maxdiff, abs(wide[r * outputStride + c] - narrow[r * outputStride + c])) }
                for c in columns..<outputStride { #expect(wide[r * outputStride + c].isNaN, "padding written") }
            }
        }
        print("recurrent product \(rows) x \(columns), 1-64 vectors: AVX-512 vs AVX2 kernel maxdiff \(maxdiff) (tolerance 0)")
        #expect(maxdiff == 0)
    }

    @Test(arguments: ["gru", "lstm", "ablstm"]) func smallBatchEqualsOneWindowAtATime(architecture: String) throws {
        let steps = 12, features = 6, hidden = 40, classes = 4
        let json = TestModels.configJSON(architecture: architecture, hidden: hidden, layers: 1,
                                         bidirectional: architecture != "gru", attention: architecture == "ablstm" ? 8 : nil,
                                         classes: classes, steps: steps, features: features)
        let model = try CSIModel(file: TestModels.file(configJSON: json), source: "t")
        var maxdiff: Float = 0
        for batch in Array(2...7) + [16, 64] {
            let windows = TestModels.windows(count: batch * steps * features, seed: UInt64(40 + batch))
            let together = TestModels.logits(model, windows: windows, batch: batch, maxBatch: batch)
            let alone = TestModels.logits(model, windows: windows, batch: batch, maxBatch: 1)
            maxdiff = max(maxdiff, zip(together, alone).map { abs($0 - $1) }.max() ?? .infinity)
        }
        print("\(architecture): batches of 2...7, 16 and 64 windows vs one at a time: logits maxdiff \(maxdiff) (tolerance 1e-4)")
        #expect(maxdiff <= 1e-4)
    }
}
