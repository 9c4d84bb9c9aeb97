// The recurrent product of a batch with AVX-512 (see ckernels.h). Built for the package's baseline; only the
// kernel itself is compiled for AVX-512F, and it is only called after csihar_avx512_available().
#include "ckernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int csihar_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

// One block: `used` (1...V) vectors x up to 32 columns starting at `column`, V = 8, 4 or 2 (a constant where it is
// inlined, so that the 2V accumulators stay in zmm registers); `mask0`/`mask1` select the columns of the two 16-lane
// halves. Unused vector slots read vector 0 and are not stored.
__attribute__((target("avx512f"), always_inline))
static inline void block(const int V, const float *matrix, long rows, long row_stride, long column,
                         const float *const x[8], int used, __mmask16 mask0, __mmask16 mask1,
                         float *output, long output_stride) {
    __m512 a[8], b[8];
    for (int v = 0; v < V; v++) { a[v] = _mm512_setzero_ps(); b[v] = _mm512_setzero_ps(); }
    const float *row = matrix + column;
    for (long i = 0; i < rows; i++, row += row_stride) {
        __m512 w0 = _mm512_maskz_loadu_ps(mask0, row);
        __m512 w1 = _mm512_maskz_loadu_ps(mask1, row + 16);
        for (int v = 0; v < V; v++) {
            __m512 h = _mm512_set1_ps(x[v][i]);
            a[v] = _mm512_fmadd_ps(h, w0, a[v]);
            b[v] = _mm512_fmadd_ps(h, w1, b[v]);
        }
    }
    float *out = output + column;
    for (int v = 0; v < used; v++, out += output_stride) {
        _mm512_mask_storeu_ps(out, mask0, a[v]);
        _mm512_mask_storeu_ps(out + 16, mask1, b[v]);
    }
}

// Vectors go in groups of eight while five or more are left, then one group of four (three or four left) or two
// (one or two left): a group's unused slots cost as much as used ones, so a batch of 2 is not run as one of 8.
__attribute__((target("avx512f")))
void csihar_product_avx512(const float *matrix, long rows, long columns, long row_stride,
                           const float *vectors, long count, long vector_stride,
                           float *output, long output_stride) {
    long first = 0;
    while (first < count) {
        long left = count - first;
        int group = left >= 5 ? 8 : left >= 3 ? 4 : 2;
        int used = left < group ? (int)left : group;
        const float *x[8];
        for (int v = 0; v < 8; v++) x[v] = vectors + (first + (v < used ? v : 0)) * vector_stride;
        float *out = output + first * output_stride;
        for (long column = 0; column < columns; column += 32) {
            long lanes = columns - column < 32 ? columns - column : 32;
            __mmask16 mask0 = lanes >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << lanes) - 1);
            __mmask16 mask1 = lanes >= 32 ? (__mmask16)0xFFFF : lanes > 16 ? (__mmask16)((1u << (lanes - 16)) - 1) : 0;
            // a constant group size at each call, so that each inlined copy keeps its accumulators in registers
            if (group == 8) {
                block(8, matrix, rows, row_stride, column, x, used, mask0, mask1, out, output_stride);
            } else if (group == 4) {
                block(4, matrix, rows, row_stride, column, x, used, mask0, mask1, out, output_stride);
            } else {
                block(2, matrix, rows, row_stride, column, x, used, mask0, mask1, out, output_stride);
            }
        }
        first += used;
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
