#!/usr/bin/env bash
# Reproduces the shipped WiAR models and their cards (CPU, 2 threads, fixed seeds).
#   training/train_wiar.sh gru       -> models/wiar-gru.safetensors + models/wiar-gru.md
#   training/train_wiar.sh ablstm    -> models/wiar-ablstm.safetensors + models/wiar-ablstm.md
#   training/train_wiar.sh cross     -> training/reports/wiar-gru-cross-*.json (cross-setting figures)
#   training/train_wiar.sh cross-calibrated -> training/reports/wiar-calibrated-cross-height-90cm*.json (a model
#                                       for calibration at an unseen height, scored by csihar evaluate --wiar)
# Environment: WIAR (default ../shared/data/wiar), PYTHON (default .venv/bin/python or python3),
# CSIHAR (a built csihar; default: swift build --product csihar).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WIAR=${WIAR:-$ROOT/../shared/data/wiar}
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo "$ROOT/.venv/bin/python" || echo python3 )}
if [ -z "${CSIHAR:-}" ]; then
    swift build --product csihar >&2
    CSIHAR="$(swift build --show-bin-path)/csihar"
fi
EXPORT=.build/datasets/wiar-30hz-90
# Dataset: the daemon's own feature/resample/window code; 30 Hz (WiAR's packet rate), 3 s windows, hop 0.5 s.
if [ ! -f "$EXPORT/meta.json" ]; then
    "$CSIHAR" dataset export --format wiar -o "$EXPORT" --sample-rate 30 --steps 90 --hop-seconds 0.5 \
        "$WIAR/height/60_rawdata" "$WIAR/height/90_rawdata" \
        "$WIAR/distance/1_alldata" "$WIAR/distance/3_alldata" "$WIAR/distance/6_alldata" 2>/dev/null
fi
train() { (cd training && PYTHONHASHSEED=0 "$PYTHON" -m csihar_train.train --data "../$EXPORT" "$@"); }
card() {
    (cd training && "$PYTHON" -m csihar_train.card --report "reports/$1.json" --model "../models/$1.safetensors" \
        --reproduce "training/train_wiar.sh $2" --about cards/wiar.md --parity "reports/$1-parity.json" \
        --cross reports/$1-cross-*.json --out "../models/$1.md")
}
case "${1:-}" in
gru)
    train --arch gru --hidden 64 --name wiar-gru --epochs 32 --patience 8 --train-stride 2 --max-minutes 120 \
        --report reports/wiar-gru.json --out ../models/wiar-gru.safetensors
    card wiar-gru gru ;;
ablstm)
    train --arch ablstm --hidden 64 --attention 128 --name wiar-ablstm --epochs 12 --patience 12 --train-stride 2 \
        --max-minutes 120 --report reports/wiar-ablstm.json --out ../models/wiar-ablstm.safetensors
    card wiar-ablstm ablstm ;;
cross)
    # Train on the other settings, test on one held-out setting (no export).
    all="height-60cm height-90cm distance-1m distance-3m distance-6m"
    for held in height-90cm; do
        rest=$(echo $all | tr ' ' '\n' | grep -v "^$held$" | paste -sd, -)
        train --arch gru --hidden 64 --name "wiar-gru-cross-$held" --split group --train-groups "$rest" \
            --test-groups "$held" --epochs 25 --patience 25 --train-stride 2 --max-minutes 120 \
            --report "reports/wiar-gru-cross-$held.json"
    done
    card wiar-gru gru ;;
cross-calibrated)
    # Recipe C of training/wiar_xheight.py (chosen there in the direction 90 cm -> 60 cm only) through the product's
    # own path: GRU 128 on amplitude dB, trained on height 60 cm + the three distances with per-feature offset, scale
    # and noise augmentation (so that it learns shapes a head refit can re-weight, not the placement's levels); then
    # the 90 cm recordings with csihar's head calibration on K recordings per activity (default lambda, seed 0).
    name=wiar-calibrated-cross-height-90cm
    train --arch gru --hidden 128 --name "$name" --split group \
        --train-groups height-60cm,distance-1m,distance-3m,distance-6m --test-groups height-90cm --epochs 15 \
        --patience 6 --train-stride 2 --offset-augment 0.5 --scale-augment 0.2 --noise 0.1 --max-minutes 30 \
        --report "reports/$name.json" --out "../.build/models/$name.safetensors"
    for k in 1 3; do
        "$CSIHAR" evaluate --model ".build/models/$name.safetensors" --wiar "$WIAR/height/90_rawdata" \
            --calibration-shots "$k" --json > "training/reports/$name-k$k.json"
    done ;;
card)
    card wiar-gru gru; [ -f training/reports/wiar-ablstm.json ] && card wiar-ablstm ablstm || true ;;
*)
    echo "usage: $0 gru|ablstm|cross|cross-calibrated|card" >&2; exit 2 ;;
esac
