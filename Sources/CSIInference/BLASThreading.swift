import COpenBLAS

/// How the engine shares OpenBLAS between threads.
public enum BLASThreading {
    /// Prepares OpenBLAS for several threads that each run their own engine sessions at once (the daemon's
    /// pipeline workers): one BLAS thread per call (the workers are the parallelism; OpenBLAS's own threads would
    /// only oversubscribe the cores), and the library's lazy initialisation done here, on one thread, before the
    /// callers start (first calls racing each other into it have crashed under ThreadSanitizer).
    public static func prepareForConcurrentCallers() {
        LinearAlgebra.setThreads(1)
        let a = [Float](repeating: 1, count: 4), b = [Float](repeating: 1, count: 4)
        var c = [Float](repeating: 0, count: 4)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    LinearAlgebra.multiply(a.baseAddress!, rows: 2, inner: 2, b.baseAddress!, columns: 2, into: c.baseAddress!)
                    LinearAlgebra.multiplyTransposedLeft(a.baseAddress!, rows: 2, columns: 2, rowStride: 2,
                                                         vector: b.baseAddress!, into: c.baseAddress!)
                }
            }
        }
    }
}
