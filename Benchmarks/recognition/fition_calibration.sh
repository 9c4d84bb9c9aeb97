#!/usr/bin/env bash
# Few-shot calibration on real Raspberry Pi CSI of a person and room the model never saw (Fition, ../shared/data/fition):
# the model trained without user U (`training/train_onechain.sh louo`) is calibrated with SHOTS recordings per activity
# of user U (`csihar calibrate head`, the movement located as for training: fition.py's train/ view) and scored on
# user U's other recordings through the daemon's path (`csihar evaluate --events --head`), each 10 s recording as the
# dataset labels it (fition.py's whole/ view): a fall recording counts when a fall.detected comes, any other
# recording with one counts against. The same recordings are scored with the model's own head. DRAWS draws of the
# calibration recordings (seeds 0..DRAWS-1, fixed before any figure was seen); prints one line per draw and the sums.
# Calibration windows are labelled as the 1-chain models' training windows are (an activity covering more than 40%
# of a window: MIN_COVERAGE 0.4; the located fall is 2 s, so a 3 s window rarely has 60% of it).
# Usage: Benchmarks/recognition/fition_calibration.sh MODEL USER   env: SHOTS (1), DRAWS (5), MIN_COVERAGE (0.4),
#        CSIHAR, PYTHON, FITION (../shared/data/fition), OUT (.build/fition-calibration)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 2 ] || { echo "usage: $0 MODEL USER" >&2; exit 2; }
MODEL=$1 USER_ID=$2
SHOTS=${SHOTS:-1} DRAWS=${DRAWS:-5} MIN_COVERAGE=${MIN_COVERAGE:-0.4}
PYTHON=${PYTHON:-python3}
FITION=${FITION:-../shared/data/fition}
OUT=${OUT:-.build/fition-calibration}
source Benchmarks/recognition/common.sh   # CSIHAR (default: the release build)
[ -d "$FITION" ] || { echo "SKIP: $FITION not found (the real Raspberry Pi recordings)" >&2; exit 0; }
V=$OUT/views-user$USER_ID
[ -d "$V/whole" ] || (cd training && "$PYTHON" -m csihar_train.fition --fition "$(cd "$OLDPWD" && cd "$FITION" && pwd)" \
    --out "$(cd "$OLDPWD" && mkdir -p "$V" && cd "$V" && pwd)" --users "$USER_ID" >/dev/null)
R=$OUT/$(basename "${MODEL%.safetensors}")-k$SHOTS
mkdir -p "$R"
for ((draw = 0; draw < DRAWS; draw++)); do
    # SHOTS recordings per activity, drawn with the seed; the rest are scored.
    "$PYTHON" - "$V/whole" "$USER_ID" "$SHOTS" "$draw" > "$R/draw-$draw.txt" <<'PY'
import glob, os, random, re, sys
folder, user, shots, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
by = {}
for p in sorted(glob.glob(os.path.join(folder, f"*_user{user}_*.pcap"))):
    by.setdefault(re.match(r"([a-z]+)_", os.path.basename(p))[1], []).append(os.path.basename(p))
rng = random.Random(seed)
for activity in sorted(by):
    chosen = set(rng.sample(by[activity], shots))
    for name in by[activity]:
        print(("cal" if name in chosen else "test"), name)
PY
    [ -s "$R/draw-$draw.txt" ] || { echo "no recordings of user $USER_ID in $FITION" >&2; exit 1; }
    cal=() test=()
    while read -r kind name; do
        if [ "$kind" = cal ]; then cal+=(--capture "$V/train/$name"); else test+=("$name"); fi
    done < "$R/draw-$draw.txt"
    "$CSIHAR" calibrate head --model "$MODEL" --min-coverage "$MIN_COVERAGE" "${cal[@]}" -o "$R/head-$draw.json" > /dev/null
    for name in "${test[@]}"; do
        "$CSIHAR" evaluate --events --json --model "$MODEL" --capture "$V/whole/$name" --head "$R/head-$draw.json" \
            > "$R/calibrated-$draw-${name%.pcap}.json"
        # the model's own head gives the same events in every draw: scored once per recording
        own=$R/uncalibrated-${name%.pcap}.json
        [ -f "$own" ] || "$CSIHAR" evaluate --events --json --model "$MODEL" --capture "$V/whole/$name" > "$own"
    done
done
"$PYTHON" - "$R" "$DRAWS" <<'PY'
import json, os, sys
r, draws = sys.argv[1], int(sys.argv[2])
total = {}
for draw in range(draws):
    line = []
    tested = [n for kind, n in (l.split() for l in open(os.path.join(r, f"draw-{draw}.txt"))) if kind == "test"]
    for mode in ("calibrated", "uncalibrated"):
        falls = fall_recs = false = others = 0
        for name in tested:
            stem = name[:-len(".pcap")]
            d = json.load(open(os.path.join(r, f"calibrated-{draw}-{stem}.json" if mode == "calibrated"
                                            else f"uncalibrated-{stem}.json")))
            is_fall = name.startswith("falling_")
            # as devices.sh counts the uncalibrated Fition figures
            reported = d["per_activity"].get("fall", {}).get("found", 0) > 0 if is_fall else d["false_falls"] > 0
            if is_fall:
                fall_recs += 1; falls += reported
            else:
                others += 1; false += reported
        t = total.setdefault(mode, [0, 0, 0, 0])
        for i, v in enumerate((falls, fall_recs, false, others)): t[i] += v
        line.append(f"{mode} falls {falls}/{fall_recs}, others with a fall {false}/{others}")
    print(f"draw {draw}: " + "; ".join(line))
for mode, (a, b, c, d) in total.items():
    print(f"all draws, {mode}: falls reported {a}/{b} ({a / max(b, 1):.0%}), other recordings with a fall {c}/{d} ({c / max(d, 1):.0%})")
PY
