// BLAS library comparison on the engine's own GEMM shapes (Benchmarks/engine/blas-shapes.sh): row-major
// C = A (m, k) · B (n, k)ᵀ as the engine calls it (m = 1 is its sgemv), one thread, GFLOP/s per CPU second.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
    int shapes[][3] = {{64,384,128},{64,800,200},{256,384,90},{256,800,90},{64,192,64},{1024,1024,1024},{1,384,128},{1,800,200}};
    for (int s = 0; s < 8; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * n * k), *c = malloc(sizeof(float) * m * n);
        for (int i = 0; i < m * k; i++) a[i] = (float)rand() / RAND_MAX;
        for (int i = 0; i < n * k; i++) b[i] = (float)rand() / RAND_MAX;
        long reps = 0; double start = cpu(), now;
        do {
            if (m == 1) cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1, b, k, a, 1, 0, c, 1);
            else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 0, c, n);
            reps++; now = cpu();
        } while (now - start < 0.6);
        printf("%dx%dx%d %.1f  ", m, n, k, 2.0 * m * n * k * reps / (now - start) / 1e9);
        free(a); free(b); free(c);
    }
    printf("\n");
    return 0;
}
