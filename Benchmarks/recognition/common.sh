# Shared by devices.sh (held-out seeds) and validate.sh (validation seeds); sourced, not run, from the repository
# root. Sets CSIHAR (default: the release build, built if needed); the helpers need PYTHON too.
if [ -z "${CSIHAR:-}" ]; then
    swift build -c release --product csihar >&2
    CSIHAR="$(swift build -c release --show-bin-path)/csihar"
fi

# simulate_recordings DIR COUNT SEED DEVICE RATE BANDWIDTH: COUNT seeded recordings of 8 random activities each (3 s
# of idle before and after) in DIR, unless DIR already holds them (the recordings are deterministic)
simulate_recordings() {   # simulate_recordings DIR COUNT SEED DEVICE RATE BANDWIDTH [SIMULATE_ARG...]
    mkdir -p "$1"
    [ "$(ls "$1" | grep -vc labels)" -ge "$2" ] ||
        "$CSIHAR" simulate --random 8 --count "$2" --seed "$3" --device "$4" --rate "$5" --bandwidth "$6" \
            --pad 3 "${@:7}" --output-dir "$1" >/dev/null
}

# evaluate_recordings MODEL DIR OUT: csihar evaluate --events --json of every recording in DIR, pooled, into OUT
# (with --config "$CONFIG" when CONFIG is set: a csihard.toml whose [smoother] keys win over the model's)
evaluate_recordings() {
    "$CSIHAR" evaluate --events --json --model "$1" ${CONFIG:+--config "$CONFIG"} \
        $(ls "$2"/sim-* | grep -v labels | sed 's/^/--capture /') > "$3"
}

# only_families FAMILY...: the FAMILY specs (NAME:...) whose NAME is in ONLY (space-separated), or all of them when
# ONLY is unset; stops the script when ONLY names none of them
only_families() {
    local f picked=""
    for f in "$@"; do case " ${ONLY:-${f%%:*}} " in *" ${f%%:*} "*) picked="$picked $f" ;; esac; done
    [ -n "$picked" ] || { echo "ONLY names no family of PROFILE=$PROFILE" >&2; exit 2; }
    echo $picked
}

# simulate_day OUT SEED DEVICE BANDWIDTH [RATE]: one hour of simulated daily life (no fall) at RATE (default 50)
# packets/s, unless OUT exists
simulate_day() {
    [ -f "$1" ] || "$CSIHAR" simulate --device "$3" --bandwidth "$4" --rate "${5:-50}" --seed "$2" \
        --script "$("$PYTHON" Benchmarks/recognition/daily_life.py "$2" 3600)" --output "$1" >/dev/null
}
