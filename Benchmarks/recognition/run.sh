#!/usr/bin/env bash
# Recognition benchmark: events as a user meets them (csihar evaluate --events: the daemon's exact path, events
# matched to the label sidecars), on simulated rooms, people, placements and speeds that training never used.
#
#   activities   COUNT recordings (default 240, about 2 h), seeds 20000.., 8 random activities each with idle
#                between and 3 s of idle before and after (the daemon runs before the person comes in: a window is
#                3 s), Intel 5300 at 500 packets/s (every recording its own room and person)
#   daily life   HOURS one-hour recordings (default 24), seeds 30000.., no fall: walking, sitting, lying, picking up
#                and long still periods (Benchmarks/recognition/daily_life.py), Intel 5300 at 250 packets/s;
#                counts false falls per day
# These seeds are held out: never used for training, validation or tuning (training/train_recogniser.sh uses
# 1000-1599 and 9000-9059). Usage: Benchmarks/recognition/run.sh [MODEL]   env: CSIHAR, COUNT, HOURS, PYTHON
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-models/csihar-doppler-gru.safetensors}
COUNT=${COUNT:-240}
HOURS=${HOURS:-24}
PYTHON=${PYTHON:-python3}
DIR=.build/recognition
source Benchmarks/recognition/common.sh   # CSIHAR (default: the release build)
mkdir -p "$DIR/activities" "$DIR/daily"
[ "$(ls "$DIR/activities"/*.dat 2>/dev/null | wc -l)" -ge "$COUNT" ] ||
    "$CSIHAR" simulate --random 8 --rate 500 --count "$COUNT" --seed 20000 --pad 3 --output-dir "$DIR/activities" >/dev/null
echo "## activities: $COUNT recordings, seeds 20000-$((20000 + COUNT - 1)), $MODEL"
"$CSIHAR" evaluate --events --json --model "$MODEL" $(ls "$DIR/activities"/*.dat | sed 's/^/--capture /') \
    | tee "$DIR/activities.json"
echo "## window and recording accuracy on the same recordings"
"$CSIHAR" evaluate --json --model "$MODEL" $(ls "$DIR/activities"/*.dat | sed 's/^/--capture /') \
    | "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({k: d[k] for k in ('accuracy','window_accuracy','recordings','windows') if k in d}))" \
    | tee "$DIR/activities-accuracy.json"
echo "## daily life: $HOURS x 1 h, seeds 30000-$((30000 + HOURS - 1)), no fall"
for i in $(seq 0 $((HOURS - 1))); do
    seed=$((30000 + i))
    out="$DIR/daily/day-$seed.json"
    [ -f "$out" ] && continue
    [ -f "$DIR/daily/day-$seed.dat" ] ||
        "$CSIHAR" simulate --rate 250 --seed "$seed" --script "$("$PYTHON" Benchmarks/recognition/daily_life.py "$seed" 3600)" \
            --output "$DIR/daily/day-$seed.dat" >/dev/null
    "$CSIHAR" evaluate --events --json --model "$MODEL" --capture "$DIR/daily/day-$seed.dat" > "$out"
    rm -f "$DIR/daily/day-$seed.dat"
    cat "$out"
done
echo "## bundled Intel 5300 samples"
"$CSIHAR" evaluate --events --json --model "$MODEL" --capture samples/living-room-intel5300.dat > "$DIR/sample-living-room.json"
"$CSIHAR" evaluate --events --json --model "$MODEL" --capture samples/fall-1khz-intel5300.dat > "$DIR/sample-fall-1khz.json"
cat "$DIR"/sample-*.json
"$PYTHON" - "$DIR" "$MODEL" "$COUNT" "$HOURS" <<'PY'
import glob, json, os, sys
d, model, count, hours_wanted = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "daily", "day-*.json")))][:hours_wanted]
hours = sum(r["hours"] for r in runs)
falls = sum(r["false_falls"] for r in runs)
summary = {
    "model": model,
    "activities": json.load(open(os.path.join(d, "activities.json"))),
    "activities_accuracy": json.load(open(os.path.join(d, "activities-accuracy.json"))),
    "activities_seeds": f"20000-{20000 + count - 1}",
    "daily_life": {"hours": round(hours, 3), "recordings": len(runs), "seeds": f"30000-{30000 + len(runs) - 1}",
                   "false_falls": falls, "false_falls_per_day": round(falls / hours * 24, 3) if hours else None,
                   "event_f1": [r["event_f1"] for r in runs]},
    "samples": {name: json.load(open(os.path.join(d, f"sample-{name}.json"))) for name in ("living-room", "fall-1khz")},
}
json.dump(summary, open(os.path.join(d, "summary.json"), "w"), indent=1, sort_keys=True)
print(json.dumps(summary["daily_life"]))
print(f"wrote {os.path.join(d, 'summary.json')}")
PY
