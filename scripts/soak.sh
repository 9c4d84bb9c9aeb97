#!/usr/bin/env bash
# Soak: one hour of generated CSI (capture time) at 20x real time (~3 min) through the release csihard with
# subscribers churning, then checks (exit status 1 when one fails):
#   * resident memory growth after warm-up < 5% (RSS sampled from /proc every second);
#   * no frame lost inside the pipeline: frames in the capture (csihar inspect) == frames the source read ==
#     frames the pipeline took in, 0 dropped, 0 rejected (the daemon's final counters);
#   * the event sequence seen by a steady subscriber, without seq, wall_time, heartbeats, gap notices and
#     predictions (churn-dependent), identical to a reference run on the same input (--speed max, no churn,
#     one pipeline worker; the soak run has WORKERS, default 2).
#
#   scripts/soak.sh                     # or `make soak`; DURATION=600 SPEED=20 RATE=250 scripts/soak.sh
#   BIN=.build/debug scripts/soak.sh    # another build
# Input and results go to .soak/ (gitignored): soak-<DURATION>s-<RATE>hz.dat, ref.ndjson, soak.ndjson, rss.csv,
# soak.log, summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BIN:-.build/release}
duration=${DURATION:-3600}          # capture seconds
speed=${SPEED:-20}
rate=${RATE:-250}                   # frames per second of the generated capture
model=${MODEL:-models/csihar-doppler-gru.safetensors}
dir=${SOAK_DIR:-.soak}
churn=${CHURN:-8}                   # concurrent churning subscribers
workers=${WORKERS:-2}               # pipeline workers of the soak run (the reference run has 1)
python=${PYTHON:-python3}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

for tool in "$bin/csihard" "$bin/csihar"; do
  [ -x "$tool" ] || { echo "soak: $tool is missing; build first (swift build -c release)" >&2; exit 1; }
done
[ -f "$model" ] || { echo "soak: $model is missing" >&2; exit 1; }
mkdir -p "$dir"
capture="$dir/soak-${duration}s-${rate}hz.dat"

# 1. Input: a long activity script (every activity, falls included) repeated to DURATION seconds.
if [ ! -s "$capture" ]; then
  cycle="idle 5s, walk 5s, sit down 3s, idle 4s, stand up 3s, walk 4s, fall 2s, lie down 3s, idle 6s, stand up 3s, run 4s, pick up 3s, idle 5s"
  script="$cycle" total=50
  while [ $total -lt "$duration" ]; do script="$script, $cycle"; total=$((total + 50)); done
  echo "== csihar simulate: $total s at $rate Hz -> $capture"
  "$bin/csihar" simulate --script "$script" --rate "$rate" --seed 7 --output "$capture"
fi
frames=$("$bin/csihar" inspect --count-only "$capture")
echo "== input: $capture, $frames frames"

daemon_pid=""
children=()
cleanup() {
  for pid in "${children[@]}" $daemon_pid; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# run NAME SPEED CHURN: daemon + steady subscriber (+ churners, RSS sampler) until the replay ends.
run() {
  local name=$1 run_speed=$2 with_churn=$3 run_workers=$4
  local socket="$dir/$name.sock"
  rm -f "$socket"
  "$bin/csihard" --source "replay:$capture" --speed "$run_speed" --socket "$socket" --model "$model" \
    --workers "$run_workers" \
    --exit-when-done --wait-for-subscriber --heartbeat-seconds 5 2> "$dir/$name.log" &
  daemon_pid=$!
  for _ in $(seq 200); do [ -S "$socket" ] && break; sleep 0.05; done
  [ -S "$socket" ] || { echo "soak: csihard did not open $socket" >&2; cat "$dir/$name.log" >&2; exit 1; }
  "$bin/csihar" subscribe --socket "$socket" --raw > "$dir/$name.ndjson" &
  local subscriber=$!
  children=("$subscriber")
  # The replay starts when the steady subscriber connects (its first line is stream.up); churn only after that.
  for _ in $(seq 200); do [ -s "$dir/$name.ndjson" ] && break; sleep 0.05; done
  if [ "$with_churn" = 1 ]; then
    "$python" scripts/soak_churn.py --socket "$socket" --clients "$churn" --pid "$daemon_pid" --rss "$dir/rss.csv" &
    children+=($!)
  fi
  local start=$SECONDS
  wait "$daemon_pid" || { echo "soak: csihard ($name) failed" >&2; tail -5 "$dir/$name.log" >&2; exit 1; }
  daemon_pid=""
  echo "== $name run: $((SECONDS - start)) s wall"
  wait "$subscriber" || true
  for pid in "${children[@]:1}"; do kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  children=()
  echo "$((SECONDS - start))" > "$dir/$name.seconds"
}

echo "== reference: csihard --source replay:$capture --speed max (one subscriber, no churn)"
run ref max 0 1
echo "== soak: csihard --source replay:$capture --speed $speed --socket $dir/soak.sock --model $model" \
     "--exit-when-done --wait-for-subscriber --heartbeat-seconds 5; $churn churning subscribers"
run soak "$speed" 1 "$workers"

"$python" scripts/soak_churn.py --check --dir "$dir" --frames "$frames" --duration "$duration" --speed "$speed" \
  | tee "$dir/summary.txt"
