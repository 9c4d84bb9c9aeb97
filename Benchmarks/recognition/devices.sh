#!/usr/bin/env bash
# Recognition benchmark of the models for the radios people own, per device family, events as a user meets them
# (csihar evaluate --events: the daemon's exact path, events matched to the sidecars). PROFILE picks the families:
#
#   1ch (default; models/csihar-1ch-doppler-gru.safetensors)
#     simulated   COUNT recordings per family (default 200, about 2 h each) in rooms, people, placements and
#                 speeds never used for training, 8 random activities each, 3 s idle pad; held-out seeds:
#                   nexmon-43455c0 80 MHz 50 packets/s   43000..   nexmon-43455c0 20 MHz 20/s  43300..
#                   esp32 50/s                           43600..   esp32 100/s                 43900..
#     daily life  HOURS one-hour recordings (default 2), nexmon-43455c0 80 MHz at 20/s (the rate csihard routes to
#                 this model; until 2026-12-06 at 50/s, seeds 44000..), seeds 44100.., no fall
#     samples     samples/kitchen-nexmon43455c0-80mhz.pcap, samples/hallway-esp32.csv
#     Fition      the real Raspberry Pi recordings (../shared/data/fition), scored as the dataset labels them (one
#                 activity per 10 s recording): per user, fall recordings with a fall.detected, other recordings
#                 with one. NB users 1 and 3 are in the model's training data unless the model was trained without
#                 them (training/train_onechain.sh louo): the card says which figure is which.
#   1ch50 (models/csihar-1ch50-doppler-gru.safetensors) the 1ch families of >= 40 packets/s
#                 (the same held-out seeds), daily life at 50/s (seeds 44000..), Fition, the ESP32 sample (50/s);
#                 since 2026-12-07 also nexmon-43455c0 80 MHz 50/s of 20 MHz packets in sub-band 0 (how Fition's
#                 Raspberry Pi records; `csihar simulate --packet-sub-band 0`), seeds 44200..
#   2ch (models/csihar-2ch-doppler-gru.safetensors)
#     simulated   intel5300 20 MHz 50/s 47000..; nexmon-4366c0 (3 cores) 80 MHz 50/s 47300..; ax210 (FeitCSI,
#                 2 chains) 80 MHz 100/s 47600.. when the simulator has it; nexmon-4366c0 80 MHz 20/s
#                 47800.. (the rate route[4] sends to this model; added 2026-12-05); intel5300 20 MHz 20/s
#                 48800.. (added 2026-12-07)
#     daily life  intel5300 at 50/s, seeds 48000.., no fall
#     samples     samples/office-nexmon4366c0.pcap and the AX210 sample when present
#   2ch50 (models/csihar-2ch50-doppler-gru.safetensors) the 2ch families of >= 40 packets/s (the same held-out
#                 seeds), the same daily life and samples
#   2ch100 (models/csihar-2ch100-doppler-gru.safetensors, added 2026-12-07) >= 2-chain streams of >= 80 packets/s:
#                 the 2ch AX210 family (80 MHz 100/s, 47600..), ax210 20 MHz 100/s 48400.., intel5300 20 MHz
#                 100/s 48200..; ax210 20 MHz 250/s 48600.. (2-chain streams route[1] takes: checks the default
#                 model against this one there, BENCHMARKS.md); daily life intel5300 at 100/s, seeds 48100..; the
#                 AX210 sample (100/s)
# Usage: Benchmarks/recognition/devices.sh [MODEL]   env: PROFILE, CSIHAR, COUNT, HOURS, PYTHON, FITION, OUT,
#        PARTS (default "sim daily samples fition"; e.g. PARTS=fition for the leave-one-user-out models),
#        KEEP_RECORDINGS (keep the simulated recordings after scoring; a second run with them scores the same
#        recordings again), CONFIG (a csihard.toml whose [smoother] keys apply to the simulated families),
#        ONLY (space-separated family names: score only those, e.g. a model's own streams)
set -euo pipefail
cd "$(dirname "$0")/../.."
PROFILE=${PROFILE:-1ch}
MODEL=${1:-models/csihar-$PROFILE-doppler-gru.safetensors}
COUNT=${COUNT:-200}
HOURS=${HOURS:-2}
PYTHON=${PYTHON:-python3}
case $PYTHON in /*) ;; */*) PYTHON="$PWD/$PYTHON" ;; esac   # a relative path (.venv/bin/python) must survive the cd below
FITION=${FITION:-../shared/data/fition}
DIR=${OUT:-.build/recognition-$PROFILE}
PARTS=${PARTS:-sim daily samples fition}
part() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
source Benchmarks/recognition/common.sh   # CSIHAR (default: the release build) and the helpers
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
ROOT=$(pwd)
family() {  # family NAME SEED DEVICE RATE BANDWIDTH [PACKET_SUB_BAND]
    local d="$DIR/$1"
    simulate_recordings "$d" "$COUNT" "$2" "$3" "$4" "$5" ${6:+--packet-sub-band "$6"}
    evaluate_recordings "$MODEL" "$d" "$DIR/$1.json"
    # the recordings are deterministic (seeded): dropped after scoring unless KEEP_RECORDINGS is set (200 AX210
    # HE80 recordings at 100/s take about 7 GB)
    [ -n "${KEEP_RECORDINGS:-}" ] || rm -rf "$d"
    echo "## $1 ($3, $5 MHz, $4 packets/s): seeds $2-$(($2 + COUNT - 1))"
    "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); print({k: d[k] for k in ('event_f1','fall_recall','false_falls_per_hour','hours')})" "$DIR/$1.json"
}
if [ "$PROFILE" = 1ch ]; then
    FAMILIES="nexmon80-50:43000:nexmon-43455c0:50:80 nexmon20-20:43300:nexmon-43455c0:20:20 esp32-50:43600:esp32:50:20
              esp32-100:43900:esp32:100:20"
    DAILY=(44100 nexmon-43455c0 80 pcap 20)
    SAMPLES="kitchen-nexmon43455c0-80mhz.pcap hallway-esp32.csv"
elif [ "$PROFILE" = 1ch50 ]; then   # the 1-chain model for >= 40 packets/s: the 1ch families it can take
    FAMILIES="nexmon80-50:43000:nexmon-43455c0:50:80 esp32-50:43600:esp32:50:20 esp32-100:43900:esp32:100:20
              nexmon80s0-50:44200:nexmon-43455c0:50:80:0"
    DAILY=(44000 nexmon-43455c0 80 pcap)
    SAMPLES="hallway-esp32.csv"
elif [ "$PROFILE" = 2ch100 ]; then   # the 2-chain model for >= 80 packets/s
    FAMILIES="ax210-80-100:47600:ax210:100:80 ax210-20-100:48400:ax210:100:20 intel5300-100:48200:intel5300:100:20
              ax210-20-250:48600:ax210:250:20"
    DAILY=(48100 intel5300 20 dat 100)
    SAMPLES="$(cd samples && ls *ax210*.csi 2>/dev/null | head -1)"
else   # 2ch, 2ch50
    FAMILIES="intel5300-50:47000:intel5300:50:20 nexmon4366c0-80-50:47300:nexmon-4366c0:50:80"
    "$CSIHAR" simulate --help | grep -q ax210 && FAMILIES="$FAMILIES ax210-80-100:47600:ax210:100:80"
    [ "$PROFILE" = 2ch ] && FAMILIES="$FAMILIES nexmon4366c0-80-20:47800:nexmon-4366c0:20:80"
    # Intel 5300 at 20/s (added 2026-12-07 late, the second family at the rates route[4]'s 20 Hz model serves)
    [ "$PROFILE" = 2ch ] && FAMILIES="$FAMILIES intel5300-20:48800:intel5300:20:20"
    DAILY=(48000 intel5300 20 dat)
    SAMPLES="office-nexmon4366c0.pcap $(cd samples && ls *ax210*.csi 2>/dev/null | head -1)"
fi
FAMILIES=$(only_families $FAMILIES)
if part sim; then
    for f in $FAMILIES; do
        IFS=: read -r name seed device rate bandwidth subband <<< "$f"
        family "$name" "$seed" "$device" "$rate" "$bandwidth" "$subband"
    done
fi
part daily && echo "## daily life: $HOURS x 1 h, ${DAILY[1]} at ${DAILY[4]:-50}/s, seeds ${DAILY[0]}-$((DAILY[0] + HOURS - 1)), no fall"
mkdir -p "$DIR/daily"
part daily && for i in $(seq 0 $((HOURS - 1))); do
    seed=$((DAILY[0] + i))
    out="$DIR/daily/day-$seed.json"
    [ -f "$out" ] && continue
    simulate_day "$DIR/daily/day-$seed.${DAILY[3]}" "$seed" "${DAILY[1]}" "${DAILY[2]}" "${DAILY[4]:-50}"
    "$CSIHAR" evaluate --events --json --model "$MODEL" --capture "$DIR/daily/day-$seed.${DAILY[3]}" > "$out"
    rm -f "$DIR/daily/day-$seed.${DAILY[3]}"
done
part samples && echo "## bundled samples: $SAMPLES"
part samples && for s in $SAMPLES; do
    "$CSIHAR" evaluate --events --json --model "$MODEL" --capture "samples/$s" > "$DIR/sample-${s%%.*}.json"
done
if ! part fition || [ "${PROFILE#2ch}" != "$PROFILE" ]; then   # Fition is 1-chain
    :
elif [ -d "$FITION" ]; then
    echo "## Fition (real Raspberry Pi), one activity per recording"
    (cd training && "$PYTHON" -m csihar_train.fition --fition "$(cd "$ROOT" && cd "$FITION" && pwd)" --out "$DIR/fition" \
        --users 1,3 >/dev/null)
    for f in "$DIR"/fition/whole/*.pcap; do
        out="$DIR/fition/$(basename "${f%.pcap}").json"
        "$CSIHAR" evaluate --events --json --model "$MODEL" --capture "$f" > "$out"
    done
else
    echo "## Fition: $FITION not found, skipped"
fi
"$PYTHON" - "$DIR" "$MODEL" "$COUNT" <<'PY'
import glob, json, os, re, sys
d, model, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
families = {}
for path in sorted(glob.glob(os.path.join(d, "*.json"))):
    name = os.path.basename(path)[:-5]
    if name not in ("summary",) and not name.startswith("sample-"):
        families[name] = json.load(open(path))
days = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "daily", "day-*.json")))]
hours = sum(r["hours"] for r in days)
falls = sum(r["false_falls"] for r in days)
fition = {}
for p in sorted(glob.glob(os.path.join(d, "fition", "*.json"))):
    m = re.match(r"([a-z]+)_user(\d+)_", os.path.basename(p))
    r = json.load(open(p))
    user = fition.setdefault("user" + m[2], {"fall_recordings": 0, "falls_reported": 0, "other_recordings": 0,
                                             "others_with_fall": 0, "by_activity": {}})
    fell = (r["per_activity"].get("fall", {}).get("found", 0) > 0) if m[1] == "falling" else r["false_falls"] > 0
    act = user["by_activity"].setdefault(m[1], [0, 0])
    act[0] += 1
    act[1] += int(fell)
    if m[1] == "falling":
        user["fall_recordings"] += 1
        user["falls_reported"] += int(fell)
    else:
        user["other_recordings"] += 1
        user["others_with_fall"] += int(fell)
summary = {"model": model, "count_per_family": count, "families": families,
           "daily_life": {"hours": round(hours, 3), "false_falls": falls,
                          "false_falls_per_day": round(falls / hours * 24, 3) if hours else None},
           "samples": {os.path.basename(p)[7:-5]: json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "sample-*.json")))},
           "fition": fition}
json.dump(summary, open(os.path.join(d, "summary.json"), "w"), indent=1, sort_keys=True)
for k, v in families.items():
    print(f"{k}: event F1 {v['event_f1']}, fall recall {v['fall_recall']}, false falls/h {v['false_falls_per_hour']}, {v['hours']:.2f} h")
print("daily life:", summary["daily_life"])
for k, v in summary["samples"].items():
    print(f"sample {k}: event F1 {v['event_f1']}, fall recall {v['fall_recall']}, false falls {v['false_falls']}")
for k, v in fition.items():
    print(f"Fition {k}: falls reported {v['falls_reported']}/{v['fall_recordings']}, other recordings with a fall "
          f"{v['others_with_fall']}/{v['other_recordings']}, by activity {v['by_activity']}")
print(f"wrote {os.path.join(d, 'summary.json')}")
PY
