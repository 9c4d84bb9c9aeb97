#!/usr/bin/env bash
# Reproduces the daemon's default recogniser `csihar-doppler-gru` (3 Rx chains: Intel 5300, Nexmon 4366c0 cores,
# simulated), trained on SIMULATED recordings with hardware-grade phase garbage, and its card.
#   training/train_recogniser.sh data    -> simulated recordings + exported windows under .build/datasets/
#   training/train_recogniser.sh train   -> models/csihar-doppler-gru.safetensors + training/reports/...
#   training/train_recogniser.sh card    -> parity report + Benchmarks/recognition/run.sh + models/csihar-doppler-gru.md
# Input `csi-ratio-doppler` (docs/features.md): CSI ratio between receive chains, static part removed, Doppler
# spectrum in 32 bands every 0.1 s; windows of 30 steps = 3 s; hop 0.2 s; a window takes an activity covering more
# than 40% of it (a 1.2 s fall covers 40% of a 3 s window), even when idle covers more, else idle when idle does.
# Seeds (rooms, people, placements, speeds; never shared between sets):
#   training   1000-1299 and 1600-2399 at 500 packets/s, 1300-1499 at 250/s, 1500-1599 at 1000/s (1400 rooms);
#              since 2026-12-04 also 60000-60899 at 500/s, 60900-61149 at 250/s, 61150-61399 at 1000/s (1400 more)
#   test       9000-9059 at 500/s (unseen rooms; the window/recording figures of the training report)
#   smoother   8000-8039 at 500/s, 3 s idle pad (tuning the smoother's thresholds: Benchmarks/recognition)
#   held out   20000-... (the recognition benchmark, Benchmarks/recognition; looked at only for the final figures)
# Environment: PYTHON (default .venv/bin/python), CSIHAR (default: release build).
set -euo pipefail
source "$(dirname "$0")/common.sh"
NAME=csihar-doppler-gru
simulate() {  # simulate DIR COUNT SEED RATE: random rooms, 8 random activities each (idle between)
    [ -d "$DATA/$1" ] && [ "$(ls "$DATA/$1"/*.dat 2>/dev/null | wc -l)" -ge "$2" ] && return
    "$CSIHAR" simulate --random 8 --rate "$4" --count "$2" --seed "$3" --output-dir "$DATA/$1" >/dev/null
}
export_windows() {  # export_windows OUT SIMDIR...: the daemon's own feature code
    local out=$1; shift
    [ -f "$DATA/$out/meta.json" ] && return
    local files=()
    for d in "$@"; do files+=("$DATA/$d"/*.dat); done
    "$CSIHAR" dataset export --format capture -o "$DATA/$out" --labels "$LABELS" --transform csi-ratio-doppler \
        --steps 30 --hop-seconds 0.2 --min-coverage 0.4 --background-label idle "${files[@]}" 2>/dev/null
}
case "${1:-}" in
data)
    simulate rec-train-500 300 1000 500
    simulate rec-train-250 200 1300 250
    simulate rec-train-1000 100 1500 1000
    simulate rec-train-more 800 1600 500
    simulate rec-train-x500 900 60000 500
    simulate rec-train-x250 250 60900 250
    simulate rec-train-x1000 250 61150 1000
    simulate rec-test 60 9000 500
    export_windows rec-train rec-train-500 rec-train-250 rec-train-1000 rec-train-more \
        rec-train-x500 rec-train-x250 rec-train-x1000
    export_windows rec-test rec-test ;;
train)
    (cd training && PYTHONHASHSEED=0 "$PYTHON" -m csihar_train.train --data "../$DATA/rec-train" \
        --test-data "../$DATA/rec-test" --split random --arch gru --hidden 128 --name "$NAME" \
        --normalization standard --epochs 12 --lr-schedule cosine --patience 12 --batch 128 --lr 3e-3 --noise 0.05 \
        --max-minutes 60 \
        --report "reports/$NAME.json" --out "../models/$NAME.safetensors") ;;
card)
    parity_report "$NAME"
    [ -f .build/recognition/summary.json ] || CSIHAR="$CSIHAR" PYTHON="$PYTHON" Benchmarks/recognition/run.sh "models/$NAME.safetensors"
    cp .build/recognition/summary.json "training/reports/$NAME-events.json"
    (cd training && "$PYTHON" -m csihar_train.card --report "reports/$NAME.json" --model "../models/$NAME.safetensors" \
        --reproduce "training/train_recogniser.sh data && training/train_recogniser.sh train && training/train_recogniser.sh card" \
        --about cards/recogniser.md --parity "reports/$NAME-parity.json" --events "reports/$NAME-events.json" \
        --out "../models/$NAME.md") ;;
*)
    echo "usage: $0 data|train|card" >&2; exit 2 ;;
esac
