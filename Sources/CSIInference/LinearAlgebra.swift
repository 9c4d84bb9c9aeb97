import COpenBLAS

/// The BLAS calls the engine makes, row-major, named after what they compute.
enum LinearAlgebra {
    /// Below this many rows a product is computed as one `sgemv` per row: OpenBLAS's `sgemm` packs the whole
    /// weight matrix at every call, which costs more than the few rows it serves (measured on the engine's shapes,
    /// 64-800 outputs: sgemm at 2-4 rows 9-38 GFLOP/s and erratic, sgemv 20-30 for every row count).
    static let smallestGEMMRows = 8

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
