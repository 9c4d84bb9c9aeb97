# Shared by the training scripts (sourced, not run): the repository root as working directory, the Python and
# csihar to use, where datasets go, the daemon's label order, and the helpers for simulated Doppler datasets.
# Environment: PYTHON (default .venv/bin/python), CSIHAR (default: release build).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo "$ROOT/.venv/bin/python" || echo python3 )}
if [ -z "${CSIHAR:-}" ]; then
    swift build -c release --product csihar >&2
    CSIHAR="$(swift build -c release --show-bin-path)/csihar"
fi
case $CSIHAR in /*) ;; */*) CSIHAR="$ROOT/$CSIHAR" ;; esac   # stages run from training/ too
DATA=.build/datasets
LABELS="lie down,fall,walk,pick up,run,sit down,stand up,idle"

simulate_device() {  # simulate_device DIR COUNT SEED DEVICE RATE BANDWIDTH [SNR_DB]: random rooms, 8 activities each
    [ -d "$DATA/$1" ] && [ "$(ls "$DATA/$1" | grep -vc labels)" -ge "$2" ] && return
    "$CSIHAR" simulate --random 8 --count "$2" --seed "$3" --device "$4" --rate "$5" --bandwidth "$6" \
        --snr "${7:-30}" --output-dir "$DATA/$1" >/dev/null
}

# export_doppler OUT TRANSFORM ARG...: Doppler windows (3 s of 10 spectra/s, hop 0.2 s) by the daemon's code; the
# spectrum stage: DOPPLER_RATE Hz (default 20), FFT_POINTS points (16), BINS bands (16); STEPS spectra a window (30),
# MIN_COVERAGE the share of a window one activity must cover to label it (0.4), DRIFT_LAGS the static-change lags in
# spectrum frames (e.g. 5,10,20,30; default none), MEDIAN_STEPS the running median before the spectrum (default 1, none)
export_doppler() {
    local out=$1 transform=$2; shift 2
    [ -f "$DATA/$out/meta.json" ] && return
    "$CSIHAR" dataset export --format capture -o "$DATA/$out" --labels "$LABELS" --transform "$transform" \
        --doppler-rate "${DOPPLER_RATE:-20}" --fft-points "${FFT_POINTS:-16}" --bins "${BINS:-16}" --sample-rate 10 \
        --steps "${STEPS:-30}" --hop-seconds 0.2 \
        --min-coverage "${MIN_COVERAGE:-0.4}" ${DRIFT_LAGS:+--drift-lags "$DRIFT_LAGS"} \
        ${MEDIAN_STEPS:+--median-steps "$MEDIAN_STEPS"} "$@" 2>/dev/null
}

sim_files() { for d in "$@"; do ls "$DATA/$d"/sim-*.* | grep -v labels; done; }  # the captures of simulated sets

# parity_report NAME: training/parity.py (csihar against PyTorch on the training run's test windows) into
# training/reports/NAME-parity.json. The test windows come from the data stage; on a checkout without them (a card
# regenerated after a change outside the model, e.g. the smoother) the committed parity report of the same model
# file is kept, and this says so.
parity_report() {
    local test
    test=$("$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))['test_data'])" "training/reports/$1.json")
    if [ -f "training/$test/meta.json" ]; then
        (cd training && "$PYTHON" parity.py --model "../models/$1.safetensors" --report "reports/$1.json" \
            --out "reports/$1-parity.json" --csihar "$CSIHAR")
    else
        echo "parity: $test (the data stage's test windows) is not here; training/reports/$1-parity.json kept" >&2
        [ -f "training/reports/$1-parity.json" ]
    fi
}
