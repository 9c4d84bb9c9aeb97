#!/usr/bin/env bash
# Scores a 1-chain model on the VALIDATION seeds used to choose between 1-chain models (never the held-out seeds of
# devices.sh): Nexmon 43455c0 80 MHz 50/s 54000-54039, ESP32 50/s 54100-54139, ESP32 100/s 54200-54229 (8 random
# activities each, csihar evaluate --events), and 2 h of daily life (Nexmon 80 MHz 50/s, seeds 55000-55001, no fall).
# Usage: Benchmarks/recognition/validate_onechain.sh MODEL TAG   env: CSIHAR, PYTHON, OUT (.build/validation-1ch)
# Prints per family event F1, fall recall, false falls per hour and per-activity F1, then the daily false falls;
# the recordings are kept in OUT/rec for the next model, the reports are OUT/TAG-*.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 2 ] || { echo "usage: $0 MODEL TAG" >&2; exit 2; }
MODEL=$1 TAG=$2
PYTHON=${PYTHON:-python3}
V=${OUT:-.build/validation-1ch}
if [ -z "${CSIHAR:-}" ]; then
    swift build -c release --product csihar >&2
    CSIHAR="$(swift build -c release --show-bin-path)/csihar"
fi
for f in nexmon80-50:54000:nexmon-43455c0:50:80:40 esp32-50:54100:esp32:50:20:40 esp32-100:54200:esp32:100:20:30; do
    IFS=: read -r name seed device rate bandwidth count <<< "$f"
    d=$V/rec/$name
    mkdir -p "$d"
    [ "$(ls "$d" | grep -vc labels)" -ge "$count" ] ||
        "$CSIHAR" simulate --random 8 --count "$count" --seed "$seed" --device "$device" --rate "$rate" \
            --bandwidth "$bandwidth" --pad 3 --output-dir "$d" >/dev/null
    "$CSIHAR" evaluate --events --json --model "$MODEL" $(ls "$d"/sim-* | grep -v labels | sed 's/^/--capture /') \
        > "$V/$TAG-$name.json"
done
for seed in 55000 55001; do
    f=$V/rec/day-$seed.pcap
    [ -f "$f" ] || "$CSIHAR" simulate --device nexmon-43455c0 --bandwidth 80 --rate 50 --seed "$seed" \
        --script "$("$PYTHON" Benchmarks/recognition/daily_life.py "$seed" 3600)" --output "$f" >/dev/null
    "$CSIHAR" evaluate --events --json --model "$MODEL" --capture "$f" > "$V/$TAG-day-$seed.json"
done
"$PYTHON" - "$V" "$TAG" <<'PY'
import glob, json, sys
v, tag = sys.argv[1:]
for name in ["nexmon80-50", "esp32-50", "esp32-100"]:
    d = json.load(open(f"{v}/{tag}-{name}.json"))
    per = {k: round(a["f1"], 2) for k, a in d["per_activity"].items()}
    print(f"{tag} {name}: event F1 {d['event_f1']:.3f}, fall recall {d['fall_recall']:.3f}, "
          f"false falls/h {d['false_falls_per_hour']:.2f}, {per}")
days = [json.load(open(p)) for p in sorted(glob.glob(f"{v}/{tag}-day-*.json"))]
print(f"{tag} daily life: {sum(r['false_falls'] for r in days)} false falls in {sum(r['hours'] for r in days):.1f} h")
PY
