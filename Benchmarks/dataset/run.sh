#!/bin/sh
# Dataset export, side by side: `csihar dataset export --format wiar` (release) against the Python pipeline a user
# would write (csiread + NumPy, Benchmarks/dataset/export_peer.py), same WiAR folder, same window settings
# (25 Hz, 50 steps, hop 6 steps, 2 ZOH points per step). Prints median wall/user seconds and peak RSS of N runs.
# Usage: Benchmarks/dataset/run.sh [runs=5] [dir=../shared/data/wiar/height/60_rawdata]
set -eu
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
DIR=${2:-../shared/data/wiar/height/60_rawdata}
PYTHON=${PYTHON:-.venv/bin/python}
[ -x .build/release/csihar ] || swift build -c release --product csihar
OUT=$(mktemp -d)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for tool in csihar python; do
    : > "$OUT/$tool.times"
    i=0
    while [ $i -lt "$RUNS" ]; do
        rm -rf "$OUT/ds"
        if [ $tool = csihar ]; then
            /usr/bin/time -f "%e %U %M" -a -o "$OUT/$tool.times" .build/release/csihar dataset export --format wiar \
                --keep-duplicates -o "$OUT/ds" "$DIR" > "$OUT/$tool.log" 2>/dev/null
        else
            /usr/bin/time -f "%e %U %M" -a -o "$OUT/$tool.times" "$PYTHON" Benchmarks/dataset/export_peer.py \
                "$DIR" "$OUT/ds" > "$OUT/$tool.log"
        fi
        i=$((i + 1))
    done
    echo "$tool: wall $(cut -d' ' -f1 "$OUT/$tool.times" | median) s, user $(cut -d' ' -f2 "$OUT/$tool.times" | median) s," \
         "peak RSS $(cut -d' ' -f3 "$OUT/$tool.times" | median) KB; $(tail -1 "$OUT/$tool.log")"
done
rm -rf "$OUT"
