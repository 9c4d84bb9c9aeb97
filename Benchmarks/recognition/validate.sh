#!/usr/bin/env bash
# Scores a device model on the VALIDATION seeds used to choose between models of one profile (never the held-out
# seeds of devices.sh), csihar evaluate --events, 8 random activities per recording:
#   PROFILE=1ch (default)  Nexmon 43455c0 80 MHz 50/s 54000-54039, ESP32 50/s 54100-54139, ESP32 100/s 54200-54229,
#                          Nexmon 43455c0 80 MHz 50/s of 20 MHz packets in sub-band 0 54600-54629 (as Fition's Raspberry
#                          Pi records; added 2026-12-07);
#                          daily life Nexmon 80 MHz 50/s 55000-55001 (2 h, no fall)
#   PROFILE=1ch20          the 20 packets/s streams route[6]'s model serves (added 2026-12-06): Nexmon 43455c0 20 MHz
#                          20/s 54300-54339, ESP32 20/s 54400-54429, Nexmon 80 MHz 20/s of 20 MHz packets in sub-band 0
#                          54700-54729 (added 2026-12-07); daily life Nexmon 80 MHz 20/s 55100-55101
#   PROFILE=2ch            Intel 5300 50/s 52000-52029, Nexmon 4366c0 (3 cores) 80 MHz 50/s 52100-52129, AX210
#                          FeitCSI 80 MHz 100/s 52200-52219, AX210 20 MHz 100/s 52300-52339 (the bundled AX210
#                          sample's bandwidth; added 2026-12-05), Intel 5300 20/s 52500-52529 and Nexmon 4366c0
#                          80 MHz 20/s 52600-52629 (the rates route[4]'s 20 Hz model serves; added 2026-12-05);
#                          daily life Intel 5300 50/s 53000-53001
#   PROFILE=2ch20          the 16-39 packets/s streams route[4]'s model serves (added 2026-12-07): 2ch's Intel 5300 and
#                          Nexmon 4366c0 20/s families with 30 more rooms each (52500-52559, 52600-52659); daily
#                          life Intel 5300 at 20/s 53200.. (DAILY_HOURS=4 for its choice on 2026-12-07)
#   PROFILE=2ch50          the 40-79 packets/s streams route[3]'s model serves since 2026-12-07: 2ch's Intel 5300 and
#                          Nexmon 4366c0 50/s families with 30 more rooms each (52000-52059, 52100-52159); daily life
#                          as 2ch (DAILY_HOURS=4 for its choice on 2026-12-07: 53000-53003)
#   PROFILE=2ch100         the >= 80 packets/s streams the 50 Hz 2-chain model served until 2026-12-07: AX210 80 MHz
#                          100/s 52200-52259 and 20 MHz 100/s 52300-52359 (2ch's AX210 families and 40 / 20 more
#                          rooms each), Intel 5300 100/s 52800-52859, Nexmon 4366c0 80 MHz 100/s 52900-52939 (added
#                          after the choice, to check the 4366c0 streams the new route also takes), AX210 20 MHz
#                          250/s 52940-52979 (2-chain streams route[1] takes; daily life for them at 250/s
#                          53300-53301, scored by hand); daily life Intel 5300 100/s 53100-53101
#   PROFILE=3ch            the default recogniser (route[1], >= 3 chains at >= 200 packets/s; added 2026-12-07): Intel
#                          5300 500/s 50000-50059, 250/s 50200-50229, 1000/s 50400-50429, from the validation seeds of
#                          its fall rules (2026-12-04: 50000-50599, 51000-51023); daily life at 250/s 51000..
# Usage: Benchmarks/recognition/validate.sh MODEL TAG   env: PROFILE, CSIHAR, PYTHON, OUT (.build/validation-PROFILE),
#        CONFIG (a csihard.toml whose [smoother] keys apply: how the per-model smoother settings were swept),
#        ONLY (space-separated family names: score only those, no daily life; e.g. a family added later),
#        DAILY_HOURS (hours of daily life, one seed each from the profile's first; default 2; 8 since 2026-12-06 for the
#        1-chain choices: 2 h held too few false falls to tell models apart)
# Prints per family event F1, fall recall, false falls per hour and per-activity F1, then the daily false falls;
# the recordings are kept in OUT/rec for the next model, the reports are OUT/TAG-*.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 2 ] || { echo "usage: $0 MODEL TAG" >&2; exit 2; }
MODEL=$1 TAG=$2
PYTHON=${PYTHON:-python3}
PROFILE=${PROFILE:-1ch}
V=${OUT:-.build/validation-$PROFILE}
case $PROFILE in
1ch) FAMILIES="nexmon80-50:54000:nexmon-43455c0:50:80:40 esp32-50:54100:esp32:50:20:40 esp32-100:54200:esp32:100:20:30
               nexmon80s0-50:54600:nexmon-43455c0:50:80:30:0"
     DAILY=(55000 nexmon-43455c0 80 pcap) ;;
1ch20) FAMILIES="nexmon20-20:54300:nexmon-43455c0:20:20:40 esp32-20:54400:esp32:20:20:30 nexmon80s0-20:54700:nexmon-43455c0:20:80:30:0"
     DAILY=(55100 nexmon-43455c0 80 pcap 20) ;;
2ch) FAMILIES="intel5300-50:52000:intel5300:50:20:30 nexmon4366c0-80-50:52100:nexmon-4366c0:50:80:30 ax210-80-100:52200:ax210:100:80:20 ax210-20-100:52300:ax210:100:20:40 intel5300-20:52500:intel5300:20:20:30 nexmon4366c0-80-20:52600:nexmon-4366c0:20:80:30"
     DAILY=(53000 intel5300 20 dat) ;;
2ch20) FAMILIES="intel5300-20:52500:intel5300:20:20:60 nexmon4366c0-80-20:52600:nexmon-4366c0:20:80:60"
     DAILY=(53200 intel5300 20 dat 20) ;;
2ch50) FAMILIES="intel5300-50:52000:intel5300:50:20:60 nexmon4366c0-80-50:52100:nexmon-4366c0:50:80:60"
     DAILY=(53000 intel5300 20 dat) ;;
2ch100) FAMILIES="ax210-80-100:52200:ax210:100:80:60 ax210-20-100:52300:ax210:100:20:60 intel5300-100:52800:intel5300:100:20:60
        nexmon4366c0-80-100:52900:nexmon-4366c0:100:80:40 ax210-20-250:52940:ax210:250:20:40"
     DAILY=(53100 intel5300 20 dat 100) ;;
3ch) FAMILIES="intel5300-500:50000:intel5300:500:20:60 intel5300-250:50200:intel5300:250:20:30
              intel5300-1000:50400:intel5300:1000:20:30"
     DAILY=(51000 intel5300 20 dat 250) ;;
*) echo "PROFILE must be 1ch, 1ch20, 2ch, 2ch20, 2ch50, 2ch100 or 3ch" >&2; exit 2 ;;
esac
source Benchmarks/recognition/common.sh   # CSIHAR (default: the release build) and the helpers
FAMILIES=$(only_families $FAMILIES)
[ -z "${ONLY:-}" ] || DAILY=()   # ONLY: no daily life
for f in $FAMILIES; do
    IFS=: read -r name seed device rate bandwidth count subband <<< "$f"
    simulate_recordings "$V/rec/$name" "$count" "$seed" "$device" "$rate" "$bandwidth" ${subband:+--packet-sub-band "$subband"}
    evaluate_recordings "$MODEL" "$V/rec/$name" "$V/$TAG-$name.json"
done
DAYS=""   # the daily-life reports of this run
for seed in ${DAILY[0]:+$(seq "${DAILY[0]}" $((DAILY[0] + ${DAILY_HOURS:-2} - 1)))}; do
    f=$V/rec/day-$seed.${DAILY[3]}
    simulate_day "$f" "$seed" "${DAILY[1]}" "${DAILY[2]}" "${DAILY[4]:-50}"
    "$CSIHAR" evaluate --events --json --model "$MODEL" ${CONFIG:+--config "$CONFIG"} --capture "$f" > "$V/$TAG-day-$seed.json"
    DAYS="$DAYS $V/$TAG-day-$seed.json"
done
DAYS=$DAYS "$PYTHON" - "$V" "$TAG" $(for f in $FAMILIES; do echo "${f%%:*}"; done) <<'PY'
import json, os, sys
v, tag = sys.argv[1:3]
for name in sys.argv[3:]:
    d = json.load(open(f"{v}/{tag}-{name}.json"))
    per = {k: round(a["f1"], 2) for k, a in d["per_activity"].items()}
    print(f"{tag} {name}: event F1 {d['event_f1']:.3f}, fall recall {d['fall_recall']:.3f}, "
          f"false falls/h {d['false_falls_per_hour']:.2f}, {per}")
days = [json.load(open(p)) for p in os.environ["DAYS"].split()]
if days:
    print(f"{tag} daily life: {sum(r['false_falls'] for r in days)} false falls in {sum(r['hours'] for r in days):.1f} h")
PY
