#!/usr/bin/env bash
# Few-shot calibration of the default recogniser in held-out simulated rooms: per room (seeds 20000..20000+ROOMS-1,
# the rooms of Benchmarks/recognition/run.sh), a ~50 s labelled calibration capture of the same room and person
# (every activity once) adapts the classifier head (`csihar evaluate --calibration-capture`), and the room's benchmark
# recording is scored with the calibrated and the model's own head. Prints the mean over rooms.
# Usage: Benchmarks/recognition/calibration.sh [MODEL]   env: CSIHAR, ROOMS (default 20); run run.sh first.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-models/csihar-doppler-gru.safetensors}
ROOMS=${ROOMS:-20}
CSIHAR=${CSIHAR:-.build/release/csihar}
DIR=.build/recognition/calibration
mkdir -p "$DIR"
SCRIPT="idle 4s, walk 4s, idle 2s, pick up 3s, idle 2s, run 4s, idle 2s, sit down 3s, idle 3s, stand up 3s, idle 2s, fall 1.5s, idle 4s, stand up 3s, idle 2s, lie down 3s, idle 3s"
for i in $(seq 0 $((ROOMS - 1))); do
    seed=$((20000 + i))
    [ -f "$DIR/cal-$seed.dat" ] || "$CSIHAR" simulate --rate 500 --seed "$seed" --script "$SCRIPT" --output "$DIR/cal-$seed.dat" >/dev/null
    "$CSIHAR" evaluate --json --model "$MODEL" --capture ".build/recognition/activities/sim-$seed.dat" \
        --calibration-capture "$DIR/cal-$seed.dat" > "$DIR/result-$seed.json"
done
python3 - "$DIR" <<'PY'
import glob, json, os, statistics, sys
runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(sys.argv[1], "result-*.json")))]
print(json.dumps({"rooms": len(runs), **{k: round(statistics.mean(r[k] for r in runs), 4) for k in
      ("accuracy", "accuracy_uncalibrated", "window_accuracy", "window_accuracy_uncalibrated")}}))
PY
