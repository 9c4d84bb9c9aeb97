#!/usr/bin/env bash
# Engine benchmark: csihar (release) against PyTorch and ONNX Runtime on the same weights, one thread each,
# side by side in one run. Models (250 x 90 windows, 7 classes; random weights from a fixed seed, written by
# Benchmarks/engine/peers.py to $EXPORT_DIR, not committed): gru64 = GRU(90 -> 64), gru128 = GRU(90 -> 128),
# ablstm200 = BiLSTM 200 + attention 400.
#
# Per model (csihar and its peers run one after the other, so that load changes hit both alike):
#   csihar bench engine --model M --batch B --seconds S --threads T --json            B = 1, 64
#   csihar bench engine --model M --batch 64 --stream --hop 25 --seconds S --threads T --json
#   python Benchmarks/engine/peers.py --models M --seconds S --threads T               PyTorch, ONNX Runtime
# then `csihar bench sgemm --json` (OpenBLAS peak on this machine), and a table with ratios.
# The streaming peer is the Python pipeline's full-window recompute at every hop (= its batch-64 cost).
#
# Usage: Benchmarks/engine/run.sh [seconds]      (default 5 s per measurement; about 3 minutes in all)
#   env: REPEAT (1: rounds of every csihar/peer measurement; the table shows the best round of each, which filters
#        out other processes' load on a shared machine), THREADS (1), PYTHON (.venv/bin/python), EXPORT_DIR (.build/bench-models), MODELS ("gru64 gru128
#        ablstm200"), RESULTS (.build/bench-engine.jsonl: every JSON line of the run), CSIHAR (skip the build and
#        use this binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
S=${1:-5}
THREADS=${THREADS:-1}
PYTHON=${PYTHON:-.venv/bin/python}
EXPORT_DIR=${EXPORT_DIR:-.build/bench-models}
MODELS=${MODELS:-gru64 gru128 ablstm200}
RESULTS=${RESULTS:-.build/bench-engine.jsonl}
REPEAT=${REPEAT:-1}
HOP=25
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS

if [ -z "${CSIHAR:-}" ]; then
    swift build -c release --product csihar >&2
    CSIHAR="$(swift build -c release --show-bin-path)/csihar"
fi
mkdir -p "$(dirname "$RESULTS")"
: > "$RESULTS"
echo "{\"kind\": \"machine\", \"start_loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\", \"cores\": $(getconf _NPROCESSORS_ONLN), \"threads\": $THREADS, \"seconds\": $S}" >> "$RESULTS"

"$PYTHON" Benchmarks/engine/peers.py --export-only --export-dir "$EXPORT_DIR" --models "${MODELS// /,}" \
    2>/dev/null >> "$RESULTS"

# csihar_engine KIND MODEL BATCH [extra args]: one `csihar bench engine` run, its last stdout line recorded.
csihar_engine() {
    local kind=$1 model=$2 batch=$3; shift 3
    local cmd=("$CSIHAR" bench engine --model "$EXPORT_DIR/$model.safetensors" --batch "$batch" --seconds "$S"
               --threads "$THREADS" "$@" --json)
    echo "+ ${cmd[*]}" >&2
    local last
    last=$("${cmd[@]}" | tail -n 1)
    echo "{\"kind\": \"$kind\", \"model\": \"$model\", \"peer\": \"csihar\", \"batch\": $batch, \"hop\": $HOP, \"result\": $last}" >> "$RESULTS"
}

for round in $(seq "$REPEAT"); do
for model in $MODELS; do
    csihar_engine measure "$model" 1
    csihar_engine measure "$model" 64
    csihar_engine stream "$model" 64 --stream --hop "$HOP"
    echo "+ $PYTHON Benchmarks/engine/peers.py --models $model --seconds $S --threads $THREADS" >&2
    "$PYTHON" Benchmarks/engine/peers.py --models "$model" --export-dir "$EXPORT_DIR" --seconds "$S" \
        --threads "$THREADS" --hop "$HOP" 2>/dev/null | grep -v '"kind": "export"' >> "$RESULTS"
done
done
echo "+ $CSIHAR bench sgemm --json" >&2
for round in $(seq "$REPEAT"); do
    echo "{\"kind\": \"sgemm\", \"peer\": \"csihar\", \"result\": $("$CSIHAR" bench sgemm --json | tail -n 1)}" >> "$RESULTS"
done
echo "{\"kind\": \"machine\", \"end_loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >> "$RESULTS"

"$PYTHON" - "$RESULTS" "$HOP" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
hop = int(sys.argv[2])
gflop = {l["model"]: l["gflop_per_window"] for l in lines if l["kind"] == "export"}
rate = {}
for l in lines:
    if l["kind"] in ("measure", "stream") and "model" in l:
        value = l["result"]["windows_per_second"] if l["peer"] == "csihar" else l["windows_per_second"]
        key = (l["model"], l["kind"], l["batch"], l["peer"])
        rate[key] = max(rate.get(key, 0.0), value)                         # best round
machine = {k: v for l in lines if l["kind"] == "machine" for k, v in l.items()}
sgemm = max((l["result"] for l in lines if l["kind"] == "sgemm"), key=lambda r: r.get("gflops", 0), default={})
rounds = sum(1 for l in lines if l["kind"] == "sgemm")

print(f"\nmachine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('threads')} thread(s), "
      f"{machine.get('seconds')} s per measurement, best of {rounds} round(s); load average {machine.get('start_loadavg')} (start), "
      f"{machine.get('end_loadavg')} (end)")
print(f"OpenBLAS sgemm peak (csihar bench sgemm): {sgemm.get('gflops', float('nan')):.1f} GFLOP/s  {json.dumps(sgemm)}\n")
print("| model | mode | csihar windows/s | PyTorch | ONNX Runtime | csihar / PyTorch | csihar / ORT | csihar GFLOP/s |")
print("|---|---|---|---|---|---|---|---|")
for model in gflop:
    for kind, batch, label in (("measure", 1, "batch 1"), ("measure", 64, "batch 64"),
                               ("stream", 64, f"stream hop {hop}, 64 streams")):
        c = rate.get((model, kind, batch, "csihar"))
        t = rate.get((model, kind, batch, "pytorch"))
        o = rate.get((model, kind, batch, "onnxruntime"))
        fmt = lambda v: "n/a" if v is None else f"{v:,.0f}"
        ratio = lambda a, b: "n/a" if a is None or b is None else f"**{a / b:.2f}x**"
        gf = "n/a" if c is None or kind == "stream" else f"{c * gflop[model]:.1f}"
        extra = ""
        if kind == "stream" and c is not None:
            extra = f" ({1e6 / c / hop:.2f} us/frame)"
        print(f"| {model} | {label} | {fmt(c)}{extra} | {fmt(t)} | {fmt(o)} | {ratio(c, t)} | {ratio(c, o)} | {gf} |")
print(f"\n(stream: csihar reuses each frame's input projection across overlapping windows; the PyTorch/ORT column is "
      f"the full-window recompute of the Python pipeline at batch 64. All JSON lines: {sys.argv[1]})")
EOF
