#!/usr/bin/env bash
# Reproduces `csihar-2ch-doppler-gru`, the recogniser for 2- and 3-chain radios at 16-40 packets/s (route[4]; Intel AX200/
# AX210 through FeitCSI or PicoScenes, Nexmon 4366c0 cores, an Intel 5300 at low rates), and its card.
#   training/train_twochain.sh data    -> simulated recordings + exported windows (.build/datasets/)
#   training/train_twochain.sh train   -> models/csihar-2ch-doppler-gru.safetensors + training/reports/...
#   training/train_twochain.sh finetune -> the same file fine-tuned in place (how the 50 Hz file of the morning of 2026-12-07 was made)
#   training/train_twochain.sh card    -> parity report, benchmark, models/csihar-2ch-doppler-gru.md
# Input `csi-ratio-doppler` at 20 Hz (docs/features.md): CSI ratio between receive chains (per-packet phase and
# gain cancel), static part removed, 16-point spectra (0.8 s) in 16 signed bands every 0.1 s; windows of 30 steps =
# 3 s, hop 0.2 s, a window takes the activity covering more than 40% of it. Half of the simulated rooms are
# exported with only their first 2 receive chains (`dataset export --max-chains 2`: a 2-chain radio), half with 3;
# AX210 FeitCSI recordings when the simulator has them (`csihar simulate --device ax210`).
# Seeds (never shared with other sets or models): training 45000-45999 (45460-45909 added on 2026-12-04; 45910-45999,
# Nexmon 4366c0 at 20/s and AX210 at 30/s, the rates route[4] sends to the 20 Hz model, added on 2026-12-05), test
# (unseen rooms) 46000-46079,
# (RATE=50 only: AX210 at 100/s, 49000-49079 at 20 MHz and 49100-49179 at 80 MHz, added on 2026-12-06),
# held out 47000-... (Benchmarks/recognition/devices.sh with PROFILE=2ch; looked at only for the final figures).
# Environment: PYTHON (default .venv/bin/python), CSIHAR (default: release build).
set -euo pipefail
if [ $# -gt 1 ]; then for stage in "$@"; do "$0" "$stage"; done; exit 0; fi   # several stages in order
source "$(dirname "$0")/common.sh"
# RATE=50: `csihar-2ch50-doppler-gru` (chosen on validation, shipped 2026-12-05 as built-in route[2] (route[3] since 2026-12-07), before the 20 Hz
# one), the same sets without the 20/s one,
# 50 Hz input (32-point spectra in 32 signed bands up to +-25 Hz), for streams of >= 40 packets/s; datasets tc50-*,
# held-out run PROFILE=2ch50 (the same seeds as the 20 Hz model's), card text cards/twochain50.md.
RATE=${RATE:-20}
case $RATE in
# X names the exports of one set of rooms, SET the merged training / test sets the train stage reads (tcw-*, tc50w-*:
# with the rooms added late on 2026-12-07; tcwv-*: RATE=20 MORE_ROOMS=1); SERVED the held-out families of the
# PROFILE whose streams csihard routes to this model (the card scores only those; ONLY= overrides)
20) NAME=csihar-2ch-doppler-gru; X=tc; SET=tcw${MORE_ROOMS:+v}; THREE="tc-i-20 "; PROFILE=2ch; RUN=""
    ABOUT=twochain.md; SERVED="nexmon4366c0-80-20 intel5300-20" ;;
50) NAME=csihar-2ch50-doppler-gru; X=tc50; SET=tc50w; THREE=""; PROFILE=2ch50; RUN="RATE=50 "; ABOUT=twochain50.md
    SERVED="intel5300-50 nexmon4366c0-80-50"; export DOPPLER_RATE=50 FFT_POINTS=32 BINS=32 ;;
100) NAME=csihar-2ch100-doppler-gru; X=tc100v; SET=$X; PROFILE=2ch100; RUN="RATE=100 "; ABOUT=twochain100.md
    SERVED="ax210-80-100 ax210-20-100 intel5300-100"; export DOPPLER_RATE=100 FFT_POINTS=64 BINS=32 ;;
*) echo "RATE must be 20, 50 or 100" >&2; exit 2 ;;
esac
export_windows() { export_doppler "$1" csi-ratio-doppler --max-chains "$2" --background-label idle "${@:3}"; }   # export_windows OUT CHAINS FILE...
# more_rooms TAG "3-CHAIN SETS" "2-CHAIN SETS": simulate added sets, each DIR:COUNT:SEED:DEVICE:RATE:BANDWIDTH, export
# them as $X-train-TAG3 / -TAG2 (3 / 2 chains) and add them to LOW, the exports merged into the training set
more_rooms() {
    local tag=$1 chains spec dirs f
    for chains in 3 2; do
        dirs=""
        for spec in ${2}; do IFS=: read -r -a f <<< "$spec"; simulate_device "${f[@]}"; dirs="$dirs ${f[0]}"; done
        export_windows "$X-train-$tag$chains" "$chains" $(sim_files $dirs)
        LOW+=("$X-train-$tag$chains")
        shift
    done
}
supports_ax210() { "$CSIHAR" simulate --help | grep -q ax210; }
case "${1:-}" in
data)
    if [ "$RATE" = 100 ]; then
        # RATE=100 (2026-12-07): `csihar-2ch100-doppler-gru` for >= 2-chain streams of 80-199 packets/s (AX210 at
        # 100/s and more): 64-point spectra (0.64 s) in 32 signed bands of 3.1 Hz up to +-50 Hz, where the 50 Hz
        # model folds walking (+-45 Hz at 5 GHz) and running (+-100 Hz) onto the same +-25 Hz and splits runs into
        # walks. Only the rooms recorded at >= 100/s of the sets above, and 800 more (seeds 49200-49999): Nexmon
        # 4366c0 80 MHz at 100 and 150/s (3 cores), Intel 5300 at 100 and 150/s (2 chains), AX210 20, 40 and 80 MHz
        # at 100-150/s; test: the AX210 test rooms and Intel 5300 at 100/s, seeds 46080-46099.
        supports_ax210 || { echo "RATE=100 needs csihar simulate --device ax210" >&2; exit 2; }
        simulate_device tc-i-100 60 45100 intel5300 100 20
        simulate_device tc-i-200 40 45160 intel5300 200 20
        simulate_device tc-n3-100 40 45260 nexmon-4366c0 100 20
        simulate_device tc-i-100-more 100 45710 intel5300 100 20
        simulate_device tc-ax-100 60 45400 ax210 100 80
        simulate_device tc-ax-100-more 100 45810 ax210 100 80
        simulate_device tc-ax20-100-x 80 49000 ax210 100 20
        simulate_device tc-ax-100-x 80 49100 ax210 100 80
        simulate_device tc-n3-100-x 100 49200 nexmon-4366c0 100 80
        simulate_device tc-i-150-x 100 49300 intel5300 150 20
        simulate_device tc-ax40-150-x 100 49400 ax210 150 40
        simulate_device tc-ax-100-y 150 49500 ax210 100 80
        simulate_device tc-ax20-100-y 100 49650 ax210 100 20
        simulate_device tc-i-100-y 150 49750 intel5300 100 20
        simulate_device tc-n3-150-y 100 49900 nexmon-4366c0 150 80
        simulate_device tc-test-i-100 20 46080 intel5300 100 20
        simulate_device tc-test-ax-100 20 46060 ax210 100 80
        # 640 more rooms (added 2026-12-07 with the file shipped that afternoon; 2000 in all), seeds 57100-57739:
        # AX210 80 MHz 100/s, AX210 20 MHz 120/s, Intel 5300 100/s (2 chains), Nexmon 4366c0 80 MHz 100/s (3 cores)
        simulate_device tc-ax-100-v 160 57100 ax210 100 80
        simulate_device tc-ax20-120-v 160 57260 ax210 120 20
        simulate_device tc-i-100-v 160 57420 intel5300 100 20
        simulate_device tc-n3-100-v 160 57580 nexmon-4366c0 100 80
        export_windows $X-train-3 3 $(sim_files tc-i-100 tc-i-100-more tc-n3-100-x tc-n3-150-y tc-n3-100-v)
        export_windows $X-train-2 2 $(sim_files tc-i-200 tc-n3-100 tc-i-150-x tc-ax-100 tc-ax-100-more \
            tc-ax20-100-x tc-ax-100-x tc-ax40-150-x tc-ax-100-y tc-ax20-100-y tc-i-100-y tc-ax-100-v tc-ax20-120-v \
            tc-i-100-v)
        export_windows $X-test-3 3 $(sim_files tc-test-i-100)
        export_windows $X-test-2 2 $(sim_files tc-test-ax-100)
        (cd training
         [ -f "../$DATA/$X-train/meta.json" ] || "$PYTHON" -m csihar_train.merge_exports "../$DATA/$X-train" \
             "../$DATA/$X-train-3" "../$DATA/$X-train-2"
         [ -f "../$DATA/$X-test/meta.json" ] || "$PYTHON" -m csihar_train.merge_exports "../$DATA/$X-test" \
             "../$DATA/$X-test-3" "../$DATA/$X-test-2")
        exit 0
    fi
    [ "$RATE" = 20 ] && simulate_device tc-i-20 40 45000 intel5300 20 20
    simulate_device tc-i-50 60 45040 intel5300 50 20
    simulate_device tc-i-100 60 45100 intel5300 100 20
    simulate_device tc-i-200 40 45160 intel5300 200 20
    simulate_device tc-n3-50 60 45200 nexmon-4366c0 50 80
    simulate_device tc-n3-100 40 45260 nexmon-4366c0 100 20
    simulate_device tc-i-50-snr18 40 45300 intel5300 50 20 18
    simulate_device tc-i-50-more 150 45460 intel5300 50 20
    simulate_device tc-n3-50-more 100 45610 nexmon-4366c0 50 80
    simulate_device tc-i-100-more 100 45710 intel5300 100 20
    simulate_device tc-test-i-50 30 46000 intel5300 50 20
    simulate_device tc-test-n3-50 30 46030 nexmon-4366c0 50 80
    THREE="${THREE}tc-i-100 tc-n3-50 tc-n3-50-more tc-i-100-more"
    TWO="tc-i-50 tc-i-200 tc-n3-100 tc-i-50-snr18 tc-i-50-more"
    LOW=()   # RATE=20: rooms at the packet rates its route serves (16-40/s), exported apart and merged
    if [ "$RATE" = 20 ]; then
        simulate_device tc-n3-20 60 45910 nexmon-4366c0 20 80
        export_windows $X-train-low3 3 $(sim_files tc-n3-20)
        LOW=($X-train-low3)
        # 1050 more rooms at 20-30/s (2026-12-07, late; 1990 in all, merged as tcw-*): 450 first tried alone and not
        # kept (seeds 58500-58949: Nexmon 4366c0 3 cores at 20/s 80 MHz and 30/s 40 MHz, AX210 80 MHz at 30/s, Intel
        # 5300 at 25/s; BENCHMARKS.md, "The 20 Hz 2-chain model: 450 more rooms, not kept"), then with 600 more
        # (seeds 62600-63199: the same 4366c0 rates, Intel 5300 at 25/s with 3 chains, AX210 20 MHz at 30/s): kept
        more_rooms z "tc-n3-20-z:150:58500:nexmon-4366c0:20:80 tc-n3-30-z40:100:58650:nexmon-4366c0:30:40" \
            "tc-ax-30-z:100:58750:ax210:30:80 tc-i-25-z:100:58850:intel5300:25:20"
        more_rooms w "tc-n3-20-w:200:62600:nexmon-4366c0:20:80 tc-n3-30-w40:100:62800:nexmon-4366c0:30:40
            tc-i-25-w:150:62900:intel5300:25:20" "tc-ax20-30-w:150:63050:ax210:30:20"
        # MORE_ROOMS=1: 600 more (seeds 63200-63799, merged as tcwv-*), tried 2026-12-07 and not kept (BENCHMARKS.md,
        # "The 20 Hz 2-chain model: 1050 more rooms, kept")
        if [ -n "${MORE_ROOMS:-}" ]; then
            more_rooms v "tc-n3-20-v:200:63200:nexmon-4366c0:20:80 tc-n3-25-v40:100:63400:nexmon-4366c0:25:40
                tc-i-20-v:150:63500:intel5300:20:20" "tc-ax40-20-v:150:63650:ax210:20:40"
        fi
    fi
    extra=()
    if supports_ax210; then
        simulate_device tc-ax-100 60 45400 ax210 100 80
        simulate_device tc-ax-100-more 100 45810 ax210 100 80
        simulate_device tc-test-ax-100 20 46060 ax210 100 80
        extra=(tc-ax-100 tc-ax-100-more)
        if [ "$RATE" = 20 ]; then
            simulate_device tc-ax-30 30 45970 ax210 30 80
            export_windows $X-train-low2 2 $(sim_files tc-ax-30)
            LOW+=($X-train-low2)
        fi
        if [ "$RATE" = 50 ]; then   # 160 more AX210 rooms (added 2026-12-06): 80 at 20 MHz, 80 at 80 MHz, 100/s
            simulate_device tc-ax20-100-x 80 49000 ax210 100 20
            simulate_device tc-ax-100-x 80 49100 ax210 100 80
            export_windows $X-train-ax 2 $(sim_files tc-ax20-100-x tc-ax-100-x)
            LOW+=($X-train-ax)
            # 450 more rooms at the rates this model serves since route[2] takes 80-199/s (added 2026-12-07, seeds
            # 58000-58449): Nexmon 4366c0 3 cores at 50/s 80 MHz and 60/s 40 MHz, AX210 80 MHz and Intel 5300 at
            # 60/s (2 chains)
            more_rooms z "tc-n3-50-z:150:58000:nexmon-4366c0:50:80 tc-n3-60-z40:100:58150:nexmon-4366c0:60:40" \
                "tc-ax-60-z:100:58250:ax210:60:80 tc-i-60-z:100:58350:intel5300:60:20"
            # 600 more (added 2026-12-07 late with the file shipped then, 2020 rooms in all; seeds 62000-62599):
            # Nexmon 4366c0 3 cores at 50/s 80 MHz and 70/s 40 MHz, Intel 5300 at 50/s (3 chains), AX210 40 MHz at 50/s
            more_rooms w "tc-n3-50-w:200:62000:nexmon-4366c0:50:80 tc-n3-70-w40:100:62200:nexmon-4366c0:70:40
                tc-i-50-w:200:62300:intel5300:50:20" "tc-ax40-50-w:100:62500:ax210:50:40"
        fi
    fi
    export_windows $X-train-3 3 $(sim_files $THREE)
    export_windows $X-train-2 2 $(sim_files $TWO ${extra[@]+"${extra[@]}"})
    export_windows $X-test-3 3 $(sim_files tc-test-i-50)
    export_windows $X-test-2 2 $(sim_files tc-test-n3-50 $(supports_ax210 && echo tc-test-ax-100))
    (cd training
     [ -f "../$DATA/$SET-train/meta.json" ] || "$PYTHON" -m csihar_train.merge_exports "../$DATA/$SET-train" \
         "../$DATA/$X-train-3" "../$DATA/$X-train-2" ${LOW[@]+"${LOW[@]/#/../$DATA/}"}
     [ -f "../$DATA/$SET-test/meta.json" ] || "$PYTHON" -m csihar_train.merge_exports "../$DATA/$SET-test" \
         "../$DATA/$X-test-3" "../$DATA/$X-test-2") ;;
train)
    # since 2026-12-06, both rates: 12 epochs on a cosine learning-rate schedule with weight decay 1e-4, chosen on
    # the validation seeds against the constant rate with early stopping (BENCHMARKS.md)
    (cd training && PYTHONHASHSEED=0 "$PYTHON" -m csihar_train.train --data "../$DATA/$SET-train" \
        --test-data "../$DATA/$SET-test" --split random --arch gru --hidden 128 --name "$NAME" \
        --normalization standard --epochs 12 --lr-schedule cosine --patience 12 --weight-decay 1e-4 --batch 128 \
        --lr 3e-3 --noise 0.05 --max-minutes 40 \
        --report "reports/$NAME.json" --out "../models/$NAME.safetensors")
    # the smoother setting chosen for both rates on the validation seeds (2026-12-06, BENCHMARKS.md): an activity
    # must lead 1.3 s (not 0.6) before activity.started; declared in the file (docs/model-format.md, `smoother`)
    (cd training && "$PYTHON" -m csihar_train.declare_smoother "../models/$NAME.safetensors" --minimum-seconds 1.3) ;;
finetune)
    # 2026-12-07: Nexmon 40/80 MHz frames are now read over the whole band (the firmware's PhyRxStatus bins had put
    # every simulated 4366c0 frame in one 20 MHz sub-band; docs/features.md), so the file in models/ (trained before
    # that) is fine-tuned on the re-exported windows: 3 epochs from its own weights and normalisation, cosine from
    # 5e-4. RATE=50: chosen on the validation seeds over the file as it was and over a model trained afresh by
    # `train`, so the 50 Hz file shipped that day was the file of commit bcda59a after this stage (replaced later the
    # same day by `train` on 450 more rooms, seeds 58000-58449). RATE=20: neither the
    # fine-tuned nor a fresh model beat the file as it was, which stays (BENCHMARKS.md, "Nexmon wideband frames read
    # over the whole band"). It reads today's merged set ($SET), larger than the one that morning's file was tuned on.
    (cd training && PYTHONHASHSEED=0 "$PYTHON" -m csihar_train.train --data "../$DATA/$SET-train" \
        --test-data "../$DATA/$SET-test" --split random --arch gru --hidden 128 --name "$NAME" \
        --normalization standard --epochs 3 --lr-schedule cosine --patience 3 --weight-decay 1e-4 --batch 128 \
        --lr 5e-4 --noise 0.05 --max-minutes 40 --init-from "../models/$NAME.safetensors" \
        --report "reports/$NAME.json" --out "../models/$NAME.safetensors")
    (cd training && "$PYTHON" -m csihar_train.declare_smoother "../models/$NAME.safetensors" --minimum-seconds 1.3) ;;
card)
    [ -f ".build/recognition-$PROFILE/summary.json" ] || ONLY=${ONLY-$SERVED} PROFILE=$PROFILE PYTHON="$PYTHON" CSIHAR="$CSIHAR" \
        Benchmarks/recognition/devices.sh "models/$NAME.safetensors"
    parity_report "$NAME"
    (cd training && "$PYTHON" -m csihar_train.card --report "reports/$NAME.json" --model "../models/$NAME.safetensors" \
        --reproduce "${RUN}training/train_twochain.sh data train card" \
        --about "cards/$ABOUT" --parity "reports/$NAME-parity.json" \
        --device-events "../.build/recognition-$PROFILE/summary.json" --out "../models/$NAME.md") ;;
*)
    echo "usage: $0 data|train|finetune|card" >&2; exit 2 ;;
esac
