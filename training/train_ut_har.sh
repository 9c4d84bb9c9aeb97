#!/usr/bin/env bash
# Reproduces the daemon's default models, trained on SIMULATED recordings (csihar simulate), and their cards.
#   training/train_ut_har.sh gru     -> models/ut-har-gru.safetensors + models/ut-har-gru.md
#   training/train_ut_har.sh ablstm  -> models/ut-har-ablstm.safetensors + models/ut-har-ablstm.md
# Classes: the 7 UT-HAR activities + idle. Input 250 x 90 at 250 Hz (1 s windows) like UT-HAR.
# Training rooms: simulator seeds 1000-1532; test rooms (never seen in training): seeds 9000-9029.
# Normalisation `window-centered` (each window's per-feature mean removed: the room's static level; docs/model-format.md).
# Environment: PYTHON, CSIHAR as in train_wiar.sh; SIM_TRAIN (default 533), SIM_TEST (default 30) recordings.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo "$ROOT/.venv/bin/python" || echo python3 )}
if [ -z "${CSIHAR:-}" ]; then
    swift build --product csihar >&2
    CSIHAR="$(swift build --show-bin-path)/csihar"
fi
SIM_TRAIN=${SIM_TRAIN:-533}
SIM_TEST=${SIM_TEST:-30}
DATA=.build/datasets
LABELS="lie down,fall,walk,pick up,run,sit down,stand up,idle"
simulate() {  # simulate DIR COUNT SEED: random rooms, 8 random activities each (idle between), 500 packets/s
    [ -d "$DATA/$1" ] && [ "$(ls "$DATA/$1"/*.dat 2>/dev/null | wc -l)" -ge "$2" ] && return
    "$CSIHAR" simulate --random 8 --rate 500 --count "$2" --seed "$3" --output-dir "$DATA/$1" >/dev/null
}
export_windows() {  # export_windows SIMDIR OUT: the daemon's own feature/resample/window code, 1 s windows, hop 0.5 s
    [ -f "$DATA/$2/meta.json" ] && return
    "$CSIHAR" dataset export --format capture -o "$DATA/$2" --labels "$LABELS" --hop-seconds 0.5 \
        "$DATA/$1"/*.dat 2>/dev/null
}
simulate sim-train "$SIM_TRAIN" 1000
simulate sim-test "$SIM_TEST" 9000
export_windows sim-train ut-har-sim-train
export_windows sim-test ut-har-sim-test
train() { (cd training && PYTHONHASHSEED=0 "$PYTHON" -m csihar_train.train --data "../$DATA/ut-har-sim-train" \
    --test-data "../$DATA/ut-har-sim-test" --split random "$@"); }
card() {
    (cd training && "$PYTHON" -m csihar_train.card --report "reports/$1.json" --model "../models/$1.safetensors" \
        --reproduce "training/train_ut_har.sh $2" --about cards/ut-har.md --parity "reports/$1-parity.json" \
        --out "../models/$1.md")
}
case "${1:-}" in
gru)
    train --arch gru --hidden 64 --name ut-har-gru --normalization window-centered --epochs 30 --patience 5 \
        --batch 256 --lr 5e-3 --train-stride 2 --max-minutes 32 \
        --report reports/ut-har-gru.json --out ../models/ut-har-gru.safetensors
    card ut-har-gru gru ;;
ablstm)
    train --arch ablstm --hidden 32 --attention 64 --name ut-har-ablstm --normalization window-centered \
        --epochs 25 --patience 5 --batch 256 --lr 5e-3 --train-stride 3 --threads 1 --max-minutes 25 \
        --report reports/ut-har-ablstm.json --out ../models/ut-har-ablstm.safetensors
    card ut-har-ablstm ablstm ;;
card)
    card ut-har-gru gru; [ -f training/reports/ut-har-ablstm.json ] && card ut-har-ablstm ablstm || true ;;
*)
    echo "usage: $0 gru|ablstm|card" >&2; exit 2 ;;
esac
