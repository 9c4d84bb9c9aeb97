#!/usr/bin/env bash
# `make run`: replay a bundled simulated capture through csihard at 10x with the default model, attach
# `csihar subscribe`, print the events it receives, then stop the daemon with SIGTERM and exit 0.
#
#   scripts/run-demo.sh                       # samples/living-room-intel5300.dat, models/csihar-doppler-gru.safetensors
#   SAMPLE=samples/fall-1khz-intel5300.dat MODEL=models/ut-har-gru.safetensors SPEED=10 scripts/run-demo.sh
#   BIN=.build/debug scripts/run-demo.sh      # use a debug build
#   RAW=1 scripts/run-demo.sh                 # raw NDJSON instead of the pretty lines
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BIN:-.build/release}
sample=${SAMPLE:-samples/living-room-intel5300.dat}
model=${MODEL:-models/csihar-doppler-gru.safetensors}
speed=${SPEED:-10}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

for tool in "$bin/csihard" "$bin/csihar"; do
  [ -x "$tool" ] || { echo "run-demo: $tool is missing; build first (make release, or BIN=.build/debug)" >&2; exit 1; }
done
for file in "$sample" "$model"; do
  [ -f "$file" ] || { echo "run-demo: $file is missing" >&2; exit 1; }
done

workdir=$(mktemp -d "${TMPDIR:-/tmp}/csihar-demo.XXXXXX")
socket="$workdir/events.sock"
events="$workdir/events.txt"
daemon_pid="" subscriber_pid=""
cleanup() {
  [ -n "$subscriber_pid" ] && kill "$subscriber_pid" 2>/dev/null || true
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

echo "== csihard --source replay:$sample --speed $speed --socket $socket --model $model"
if [ -f "${sample%.*}.labels.csv" ]; then
  echo "== ground truth (${sample%.*}.labels.csv, seconds from the start of the capture):"
  tail -n +2 "${sample%.*}.labels.csv" | awk -F, '{ printf "   %6.1f-%-6.1f %s\n", $1, $2, $3 }'
fi

# The daemon waits for the first subscriber before replaying, so the subscriber sees the whole run.
"$bin/csihard" --source "replay:$sample" --speed "$speed" --socket "$socket" --model "$model" \
  --wait-for-subscriber --log-level notice &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.05; done
[ -S "$socket" ] || { echo "run-demo: csihard did not open $socket" >&2; exit 1; }

echo "== csihar subscribe --socket $socket${RAW:+ --raw}   (events as they arrive)"
"$bin/csihar" subscribe --socket "$socket" ${RAW:+--raw} | tee "$events" &
subscriber_pid=$!

# The capture is over when its stream goes down with reason source-ended.
ended='source-ended'
deadline=$((SECONDS + 120))
until grep -q "$ended" "$events" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || { echo "run-demo: the replay did not finish within 120 s" >&2; exit 1; }
  kill -0 "$daemon_pid" 2>/dev/null || { echo "run-demo: csihard exited early" >&2; exit 1; }
  sleep 0.1
done

# Stop the daemon with a subscriber still attached; it must exit cleanly within 2 s.
start=$(date +%s.%N)
kill -TERM "$daemon_pid"
status=0
wait "$daemon_pid" || status=$?
daemon_pid=""
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
wait "$subscriber_pid" 2>/dev/null || true
subscriber_pid=""
started=$(grep -c 'activity.started' "$events" || true)
falls=$(grep -c 'fall.detected' "$events" || true)
echo "== csihard stopped on SIGTERM in ${elapsed} s with exit status $status; $(wc -l < "$events") events," \
  "$started activities started, $falls falls detected"
[ "$status" -eq 0 ] || exit 1
