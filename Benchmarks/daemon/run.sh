#!/usr/bin/env bash
# Daemon pipeline benchmark: concurrent 1 kHz streams through csihar's pipeline core (features, resampling,
# 250 x 90 windows every 0.2 s, batched engine, smoothing, events) against the Python pipeline a user would glue
# together (csiread + NumPy + PyTorch), same frames, same model weights, one thread each, side by side in one run.
#
#   csihar bench daemon --model M --streams N --seconds S --json              unpaced: realtime factor
#   csihar bench daemon --model M --streams N/2-load --paced --json           paced: latency p50/p99 at half load
#   python Benchmarks/daemon/python_pipeline.py --model M --streams N [--per-frame]
#
# Models: gru64 = GRU(90 -> 64) and ablstm200 = BiLSTM 200 + attention 400, 250 steps at 250 Hz (random weights
# written by Benchmarks/engine/peers.py --export-only; the cost does not depend on the weights).
# Usage: Benchmarks/daemon/run.sh [seconds]   env: PYTHON, EXPORT_DIR, CSIHAR
set -euo pipefail
cd "$(dirname "$0")/../.."
S=${1:-4}
PYTHON=${PYTHON:-.venv/bin/python}
EXPORT_DIR=${EXPORT_DIR:-.build/bench-models}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
if [ -z "${CSIHAR:-}" ]; then
    swift build -c release --product csihar >&2
    CSIHAR="$(swift build -c release --show-bin-path)/csihar"
fi
"$PYTHON" Benchmarks/engine/peers.py --export-only --export-dir "$EXPORT_DIR" --models gru64,ablstm200 >/dev/null 2>&1
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(getconf _NPROCESSORS_ONLN) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
row() {  # name json
    echo "$2" | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print('| $1 | %d | %.2f | %.0f | %s | %s | %s |' % (d['streams'], d['realtime_factor'], d['sustainable_streams_estimate'], ('%.1f / %.1f' % (d['latency_p50_ms'], d['latency_p99_ms'])) if d.get('paced') else '', ('%.0f' % d['rss_per_stream_kb']) if 'rss_per_stream_kb' in d else '', '%.0f' % d['frames_per_second']))"
}
echo
echo "| pipeline | streams | realtime factor | streams sustained (estimate) | latency p50 / p99 ms (paced) | KB per stream | frames/s |"
echo "|---|---|---|---|---|---|---|"
for model in gru64 ablstm200; do
    M="$EXPORT_DIR/$model.safetensors"
    n=$([ "$model" = gru64 ] && echo 100 || echo 20)
    out=$("$CSIHAR" bench daemon --model "$M" --streams "$n" --seconds "$S" --json | tail -1)
    row "csihar $model" "$out"
    sustained=$(echo "$out" | python3 -c "import json,sys; print(int(json.loads(sys.stdin.read())['sustainable_streams_estimate']))")
    half=$(( sustained / 2 ))
    row "csihar $model, paced at half load" "$("$CSIHAR" bench daemon --model "$M" --streams "$half" --seconds "$S" --paced --json | tail -1)"
    row "Python vectorised $model" "$("$PYTHON" Benchmarks/daemon/python_pipeline.py --model "$M" --streams "$n" --seconds "$S" | tail -1)"
    row "Python per-frame $model" "$("$PYTHON" Benchmarks/daemon/python_pipeline.py --model "$M" --streams "$n" --seconds "$S" --per-frame | tail -1)"
done
