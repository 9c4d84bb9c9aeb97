// The recurrent product of a batch with AVX-512 (see ckernels.h). Built for the package's baseline; only the
// kernel itself is compiled for AVX-512F, and it is only called after csihar_avx512_available().
#include "ckernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int csihar_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

// One block: `used` (1...8) vectors x up to 32 columns starting at `column`; `mask0`/`mask1` select the columns
// of the two 16-lane halves. Unused vector slots read vector 0 and are not stored.
__attribute__((target("avx512f")))
static void block8x32(const float *matrix, long rows, long row_stride, long column,
                      const float *const x[8], int used, __mmask16 mask0, __mmask16 mask1,
                      float *output, long output_stride) {
    __m512 a0 = _mm512_setzero_ps(), b0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
    __m512 a2 = _mm512_setzero_ps(), b2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps(), b3 = _mm512_setzero_ps();
    __m512 a4 = _mm512_setzero_ps(), b4 = _mm512_setzero_ps(), a5 = _mm512_setzero_ps(), b5 = _mm512_setzero_ps();
    __m512 a6 = _mm512_setzero_ps(), b6 = _mm512_setzero_ps(), a7 = _mm512_setzero_ps(), b7 = _mm512_setzero_ps();
    const float *row = matrix + column;
    const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3], *x4 = x[4], *x5 = x[5], *x6 = x[6], *x7 = x[7];
    for (long i = 0; i < rows; i++, row += row_stride) {
        __m512 w0 = _mm512_maskz_loadu_ps(mask0, row);
        __m512 w1 = _mm512_maskz_loadu_ps(mask1, row + 16);
        __m512 h;
        h = _mm512_set1_ps(x0[i]); a0 = _mm512_fmadd_ps(h, w0, a0); b0 = _mm512_fmadd_ps(h, w1, b0);
        h = _mm512_set1_ps(x1[i]); a1 = _mm512_fmadd_ps(h, w0, a1); b1 = _mm512_fmadd_ps(h, w1, b1);
        h = _mm512_set1_ps(x2[i]); a2 = _mm512_fmadd_ps(h, w0, a2); b2 = _mm512_fmadd_ps(h, w1, b2);
        h = _mm512_set1_ps(x3[i]); a3 = _mm512_fmadd_ps(h, w0, a3); b3 = _mm512_fmadd_ps(h, w1, b3);
        h = _mm512_set1_ps(x4[i]); a4 = _mm512_fmadd_ps(h, w0, a4); b4 = _mm512_fmadd_ps(h, w1, b4);
        h = _mm512_set1_ps(x5[i]); a5 = _mm512_fmadd_ps(h, w0, a5); b5 = _mm512_fmadd_ps(h, w1, b5);
        h = _mm512_set1_ps(x6[i]); a6 = _mm512_fmadd_ps(h, w0, a6); b6 = _mm512_fmadd_ps(h, w1, b6);
        h = _mm512_set1_ps(x7[i]); a7 = _mm512_fmadd_ps(h, w0, a7); b7 = _mm512_fmadd_ps(h, w1, b7);
    }
    float *out = output + column;
    __m512 as[8] = {a0, a1, a2, a3, a4, a5, a6, a7}, bs[8] = {b0, b1, b2, b3, b4, b5, b6, b7};
    for (int v = 0; v < used; v++, out += output_stride) {
        _mm512_mask_storeu_ps(out, mask0, as[v]);
        _mm512_mask_storeu_ps(out + 16, mask1, bs[v]);
    }
}

__attribute__((target("avx512f")))
void csihar_product_avx512(const float *matrix, long rows, long columns, long row_stride,
                           const float *vectors, long count, long vector_stride,
                           float *output, long output_stride) {
    for (long first = 0; first < count; first += 8) {
        int used = count - first < 8 ? (int)(count - first) : 8;
        const float *x[8];
        for (int v = 0; v < 8; v++) x[v] = vectors + (first + (v < used ? v : 0)) * vector_stride;
        float *out = output + first * output_stride;
        for (long column = 0; column < columns; column += 32) {
            long lanes = columns - column < 32 ? columns - column : 32;
            __mmask16 mask0 = lanes >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << lanes) - 1);
            __mmask16 mask1 = lanes >= 32 ? (__mmask16)0xFFFF : lanes > 16 ? (__mmask16)((1u << (lanes - 16)) - 1) : 0;
            block8x32(matrix, rows, row_stride, column, x, used, mask0, mask1, out, output_stride);
        }
    }
}

#else

int csihar_avx512_available(void) { return 0; }

void csihar_product_avx512(const float *matrix, long rows, long columns, long row_stride,
                           const float *vectors, long count, long vector_stride,
                           float *output, long output_stride) {
    (void)matrix; (void)rows; (void)columns; (void)row_stride; (void)vectors; (void)count; (void)vector_stride;
    (void)output; (void)output_stride;
}

#endif
