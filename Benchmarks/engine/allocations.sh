#!/usr/bin/env bash
# Steady-state allocation check of the engine: counts malloc calls (LD_PRELOAD shim malloc_count.c) of
# `csihar bench engine` runs of 1 s and 3 s. Equal counts for different numbers of windows = no allocation per
# window (the count is the process's setup).
#   Benchmarks/engine/allocations.sh [model]     (default models/wiar-ablstm.safetensors)
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-models/wiar-ablstm.safetensors}
CSIHAR=${CSIHAR:-$(swift build -c release --show-bin-path)/csihar}
cc -shared -fPIC -O2 -o .build/malloc_count.so Benchmarks/engine/malloc_count.c -ldl
for mode in "--batch 1" "--batch 64" "--batch 64 --stream"; do
    for seconds in 1 3; do
        out=$(LD_PRELOAD=$PWD/.build/malloc_count.so "$CSIHAR" bench engine --model "$MODEL" $mode --seconds $seconds --json 2>&1)
        calls=$(echo "$out" | grep '^malloc calls' | cut -d: -f2)
        windows=$(echo "$out" | grep '^{' | python3 -c "import json,sys; print(round(json.loads(sys.stdin.read())['windows_per_second'] * $seconds))")
        echo "$mode, ${seconds} s: ~$windows windows (after warm-up), malloc calls in the whole process:$calls"
    done
done
