#!/usr/bin/env bash
# OpenBLAS against BLIS (Debian libopenblas-dev / libblis-dev) on the GEMM shapes the engine runs, one thread each,
# interleaved: the same C program (blas_shapes.c) linked once against each library's CBLAS.
#   64x384x128, 64x800x200   the recurrent GEMM of one step at batch 64 (GRU128, LSTM200)
#   256x384x90, 256x800x90   the input projection of a 4-step chunk at batch 64
#   64x192x64                GRU64's recurrent GEMM
#   1024^3                   the peak `csihar bench sgemm` reports
#   1x384x128, 1x800x200     batch 1: one sgemv per step
# Usage: Benchmarks/engine/blas-shapes.sh [rounds]   (needs gcc, libopenblas-dev, libblis-dev)
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${1:-3}
OUT=${TMPDIR:-/tmp}/csihar-blas-shapes
mkdir -p "$OUT"
gcc -O2 -o "$OUT/openblas" blas_shapes.c -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas
gcc -O2 -o "$OUT/blis" blas_shapes.c -I/usr/include/x86_64-linux-gnu/blis-openmp \
    -L/usr/lib/x86_64-linux-gnu/blis-openmp -lblis -Wl,-rpath,/usr/lib/x86_64-linux-gnu/blis-openmp
for round in $(seq "$ROUNDS"); do
    # OpenBLAS 0.3.21 does not know every recent CPU; csihar sets OPENBLAS_CORETYPE=auto the same way
    printf 'openblas: '; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto} OPENBLAS_NUM_THREADS=1 "$OUT/openblas"
    printf 'blis:     '; BLIS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$OUT/blis"
done
