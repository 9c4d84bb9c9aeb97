#!/bin/bash
# Interleaved A/B of two csihar builds under the same generated load: `csihar bench daemon` (unpaced, 2 workers)
# alternately with BASE and NEW, ROUNDS times; prints each build's sustained-stream estimates and the medians of
# those and of the CPU seconds (user + system) per run. A VM's speed drifts by 10-20% within minutes, so only
# interleaved runs compare builds.
# Usage: Benchmarks/daemon/ab.sh BASE NEW [ROUNDS=4] [MODEL=.build/bench-models/gru64.safetensors] [STREAMS=450]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { echo "usage: $0 BASE NEW [ROUNDS] [MODEL] [STREAMS]" >&2; exit 2; }
BASE=$1 NEW=$2 ROUNDS=${3:-4} MODEL=${4:-.build/bench-models/gru64.safetensors} STREAMS=${5:-450}
TIMES=$(mktemp) JSON=$(mktemp)
trap 'rm -f "$TIMES" "$JSON"' EXIT
for _ in $(seq "$ROUNDS"); do
    for build in "$BASE" "$NEW"; do
        /usr/bin/time -f "%U %S" -o "$TIMES" env OPENBLAS_NUM_THREADS=1 "$build" bench daemon --model "$MODEL" \
            --streams "$STREAMS" --seconds 4 --workers 2 --json > "$JSON" 2>/dev/null
        python3 -c "import json,sys; d=json.load(open(sys.argv[1])); u,s=open(sys.argv[2]).read().split()[:2]; \
print(sys.argv[3], round(d['sustainable_streams_estimate']), round(float(u)+float(s),2))" "$JSON" "$TIMES" "$build"
    done
done | python3 -c "
import sys, collections, statistics
runs = collections.defaultdict(list)
for line in sys.stdin:
    build, streams, cpu = line.split()
    runs[build].append((int(streams), float(cpu)))
for build, values in runs.items():
    print(build, 'streams', sorted(v[0] for v in values), 'median', statistics.median(v[0] for v in values),
          'cpu s median', statistics.median(v[1] for v in values))
"
