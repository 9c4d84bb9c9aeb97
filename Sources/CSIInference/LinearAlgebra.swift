import CKernels
import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// The BLAS calls the engine makes, row-major, named after what they compute.
enum LinearAlgebra {
    /// Below this many rows a product is computed as one `sgemv` per row: OpenBLAS's `sgemm` packs the whole
    /// weight matrix at every call, which costs more than the few rows it serves (measured on the engine's shapes,
    /// 64-800 outputs: sgemm at 2-4 rows 9-38 GFLOP/s and erratic, sgemv 20-30 for every row count).
    static let smallestGEMMRows = 8

    /// Up to this many rows the recurrent product uses
    /// ``multiplyTransposedLeft(_:rows:columns:rowStride:vectors:count:vectorStride:into:outputStride:)`` instead of
    /// `sgemm`: measured on the engine's shapes (GRU64, GRU128, ABLSTM200, one thread), it is 1.5-1.6x `sgemm` at 8
    /// rows, 1.1-1.3x at 16, and 1.0-1.08x at 64; at 256 rows they tie.
    static let largestRecurrentKernelRows = 64

    /// `output (rows, outputs) = input (rows, inputs) · weight (outputs, inputs)ᵀ (+ output if accumulate)`.
    ///
    /// `inputStride` / `outputStride` are the row strides (elements) of `input` / `output`, so a block of
    /// columns of a wider matrix can be read or written in place. Fewer than ``smallestGEMMRows`` rows use one
    /// `sgemv` each.
    @inline(__always)
    static func multiplyTransposed(_ input: UnsafePointer<Float>, rows: Int, inputs: Int, inputStride: Int,
                                   weight: UnsafePointer<Float>, outputs: Int,
                                   into output: UnsafeMutablePointer<Float>, outputStride: Int,
                                   accumulate: Bool = false) {
        guard rows > 0, outputs > 0 else { return }
        let beta: Float = accumulate ? 1 : 0
        if rows < smallestGEMMRows {
            for row in 0..<rows {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(outputs), Int32(inputs), 1, weight, Int32(inputs),
                            input + row * inputStride, 1, beta, output + row * outputStride, 1)
            }
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs), 1,
                        input, Int32(inputStride), weight, Int32(inputs), beta, output, Int32(outputStride))
        }
    }

    /// `output (rows, columns) = left (rows, inner) · right (inner, columns)`.
    @inline(__always)
    static func multiply(_ left: UnsafePointer<Float>, rows: Int, inner: Int,
                         _ right: UnsafePointer<Float>, columns: Int,
                         into output: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(columns), Int32(inner), 1,
                    left, Int32(inner), right, Int32(columns), 0, output, Int32(columns))
    }

    /// `output (columns) = matrix (rows, columns; row stride rowStride)ᵀ · vector (rows)`.
    @inline(__always)
    static func multiplyTransposedLeft(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int,
                                       vector: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), 1, matrix, Int32(rowStride),
                    vector, 1, 0, output, 1)
    }

    /// `output[r] (columns) = matrix (rows, columns)ᵀ · vectors[r] (rows)` for `count` vectors (the rows of a
    /// batch), reading `matrix` once per group of vectors instead of once per vector as one `sgemv` each would, and
    /// without the packing `sgemm` does at every call: the recurrent product of batches of 2-64 rows. Vectors go in
    /// groups of four (a last group of three too) or two (a last one alone too), each with eight `SIMD8`
    /// accumulators: four vectors x 16 columns or two vectors x 32 columns per block; each block walks down the
    /// matrix's rows, broadcasting one element of each vector against the row's columns. A group's unused slots
    /// repeat its first vector and are not stored. Vector `r` starts at `vectors + r * vectorStride`, its output at
    /// `output + r * outputStride`.
    ///
    /// On a CPU with AVX-512 the product runs in ``avx512Kernel`` (C, eight vectors x 32 columns per block in 16
    /// zmm accumulators; the same sums in the same order, so the same values), unless `CSIHAR_KERNEL=avx2`.
    static func multiplyTransposedLeft(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int,
                                       vectors: UnsafePointer<Float>, count: Int, vectorStride: Int,
                                       into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        if avx512Kernel {
            csihar_product_avx512(matrix, rows, columns, rowStride, vectors, count, vectorStride, output, outputStride)
        } else {
            multiplyTransposedLeftAVX2(matrix, rows: rows, columns: columns, rowStride: rowStride, vectors: vectors,
                                       count: count, vectorStride: vectorStride, into: output, outputStride: outputStride)
        }
    }

    /// Whether ``multiplyTransposedLeft(_:rows:columns:rowStride:vectors:count:vectorStride:into:outputStride:)``
    /// uses the AVX-512 kernel: the CPU has AVX-512F and `CSIHAR_KERNEL` is not `avx2` (read once).
    static let avx512Kernel: Bool = {
        if let choice = getenv("CSIHAR_KERNEL"), String(cString: choice) == "avx2" { return false }
        return csihar_avx512_available() != 0
    }()

    /// The AVX2 (`SIMD8`) recurrent product, for every x86-64-v3 CPU; see
    /// ``multiplyTransposedLeft(_:rows:columns:rowStride:vectors:count:vectorStride:into:outputStride:)``.
    static func multiplyTransposedLeftAVX2(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int,
                                           vectors: UnsafePointer<Float>, count: Int, vectorStride: Int,
                                           into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        var first = 0
        while first < count {
            let left = count - first
            let group = left >= 3 ? 4 : 2
            let used = min(group, left)
            let base = vectors + first * vectorStride
            let x1 = used > 1 ? base + vectorStride : base
            if group == 4 {
                let x2 = used > 2 ? base + 2 * vectorStride : base, x3 = used > 3 ? base + 3 * vectorStride : base
                productOfFour(matrix, rows: rows, columns: columns, rowStride: rowStride, base, x1, x2, x3,
                              used: used, into: output + first * outputStride, outputStride: outputStride)
            } else {
                productOfTwo(matrix, rows: rows, columns: columns, rowStride: rowStride, base, x1,
                             used: used, into: output + first * outputStride, outputStride: outputStride)
            }
            first += used
        }
    }

    /// Four vectors (the first `used` stored) x blocks of 16 columns.
    private static func productOfFour(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int,
                                      _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>,
                                      _ x2: UnsafePointer<Float>, _ x3: UnsafePointer<Float>, used: Int,
                                      into out: UnsafeMutablePointer<Float>, outputStride: Int) {
        var column = 0
        while column < columns {
            let lanes = min(16, columns - column)                  // 16, or the last block's columns
            var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
            var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
            var row = matrix + column
            @inline(__always) func accumulate(_ i: Int, _ w0: SIMD8<Float>, _ w1: SIMD8<Float>) {
                let h0 = SIMD8<Float>(repeating: x0[i]), h1 = SIMD8<Float>(repeating: x1[i])
                let h2 = SIMD8<Float>(repeating: x2[i]), h3 = SIMD8<Float>(repeating: x3[i])
                a0.addProduct(h0, w0); b0.addProduct(h0, w1)
                a1.addProduct(h1, w0); b1.addProduct(h1, w1)
                a2.addProduct(h2, w0); b2.addProduct(h2, w1)
                a3.addProduct(h3, w0); b3.addProduct(h3, w1)
            }
            if lanes == 16 {
                for i in 0..<rows {
                    accumulate(i, UnsafeRawPointer(row).loadUnaligned(as: SIMD8<Float>.self),
                               UnsafeRawPointer(row + 8).loadUnaligned(as: SIMD8<Float>.self))
                    row += rowStride
                }
            } else {
                for i in 0..<rows {
                    accumulate(i, block(row, lanes, 0), block(row, lanes, 8))
                    row += rowStride
                }
            }
            let target = out + column
            store(a0, b0, target, lanes)
            if used > 1 { store(a1, b1, target + outputStride, lanes) }
            if used > 2 { store(a2, b2, target + 2 * outputStride, lanes) }
            if used > 3 { store(a3, b3, target + 3 * outputStride, lanes) }
            column += lanes
        }
    }

    /// Two vectors (the first `used` stored) x blocks of 32 columns.
    private static func productOfTwo(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int,
                                     _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, used: Int,
                                     into out: UnsafeMutablePointer<Float>, outputStride: Int) {
        var column = 0
        while column < columns {
            let lanes = min(32, columns - column)                  // 32, or the last block's columns
            var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), c0 = SIMD8<Float>(), d0 = SIMD8<Float>()
            var a1 = SIMD8<Float>(), b1 = SIMD8<Float>(), c1 = SIMD8<Float>(), d1 = SIMD8<Float>()
            var row = matrix + column
            @inline(__always) func accumulate(_ i: Int, _ w0: SIMD8<Float>, _ w1: SIMD8<Float>, _ w2: SIMD8<Float>,
                                              _ w3: SIMD8<Float>) {
                let h0 = SIMD8<Float>(repeating: x0[i]), h1 = SIMD8<Float>(repeating: x1[i])
                a0.addProduct(h0, w0); b0.addProduct(h0, w1); c0.addProduct(h0, w2); d0.addProduct(h0, w3)
                a1.addProduct(h1, w0); b1.addProduct(h1, w1); c1.addProduct(h1, w2); d1.addProduct(h1, w3)
            }
            if lanes == 32 {
                for i in 0..<rows {
                    let raw = UnsafeRawPointer(row)
                    accumulate(i, raw.loadUnaligned(as: SIMD8<Float>.self),
                               raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self),
                               raw.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self),
                               raw.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
                    row += rowStride
                }
            } else {
                for i in 0..<rows {
                    accumulate(i, block(row, lanes, 0), block(row, lanes, 8), block(row, lanes, 16),
                               block(row, lanes, 24))
                    row += rowStride
                }
            }
            let target = out + column
            store(a0, b0, target, lanes)
            store(c0, d0, target + 16, lanes - 16)
            if used > 1 {
                store(a1, b1, target + outputStride, lanes)
                store(c1, d1, target + outputStride + 16, lanes - 16)
            }
            column += lanes
        }
    }

    /// The 8 values at `offset` of a block of `lanes` columns (zeros past the block).
    @inline(__always)
    private static func block(_ row: UnsafePointer<Float>, _ lanes: Int, _ offset: Int) -> SIMD8<Float> {
        lanes > offset ? VectorMath.load(row + offset, count: min(8, lanes - offset)) : SIMD8<Float>()
    }

    /// Stores the first `lanes` (up to 16; none when <= 0) of `low` then `high` at `target`.
    @inline(__always)
    private static func store(_ low: SIMD8<Float>, _ high: SIMD8<Float>, _ target: UnsafeMutablePointer<Float>,
                              _ lanes: Int) {
        guard lanes > 0 else { return }
        VectorMath.store(low, target, count: min(8, lanes))
        if lanes > 8 { VectorMath.store(high, target + 8, count: min(8, lanes - 8)) }
    }

    /// Copies `bias (count)` into each of `rows` rows of `output` (row stride `stride`).
    @inline(__always)
    static func broadcastRows(_ bias: UnsafePointer<Float>, count: Int, rows: Int,
                              into output: UnsafeMutablePointer<Float>, stride: Int) {
        for row in 0..<rows {
            (output + row * stride).update(from: bias, count: count)
        }
    }

    /// The number of threads OpenBLAS uses from now on.
    static func setThreads(_ threads: Int) {
        openblas_set_num_threads(Int32(max(1, threads)))
    }
}
