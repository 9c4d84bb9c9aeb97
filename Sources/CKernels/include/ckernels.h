// Hand-written SIMD kernels the Swift engine cannot express for a wider instruction set than the package's
// baseline (x86-64-v3): compiled for AVX-512 per function and chosen at run time.
#ifndef CSIHAR_CKERNELS_H
#define CSIHAR_CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs AVX-512F instructions (and the kernels were built for x86-64), else 0.
int csihar_avx512_available(void);

/// output[v * output_stride + c] = sum over r of vectors[v * vector_stride + r] * matrix[r * row_stride + c],
/// for v < count, c < columns, r < rows: the recurrent product of a batch (LinearAlgebra.multiplyTransposedLeft),
/// eight vectors x 32 columns per block in 16 zmm accumulators (four or two for the last vectors), each sum taken
/// over r in order with one fused multiply-add per term (the same order and rounding as the AVX2 kernel). Only when
/// csihar_avx512_available().
void csihar_product_avx512(const float *matrix, long rows, long columns, long row_stride,
                           const float *vectors, long count, long vector_stride,
                           float *output, long output_stride);

#ifdef __cplusplus
}
#endif

#endif
