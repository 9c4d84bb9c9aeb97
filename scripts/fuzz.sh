#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (release, -sanitize=fuzzer,address) and runs each for FUZZ_SECONDS.
# Fails when any target finds a crash, leak, timeout or out-of-memory; prints one summary line per target.
#
# Usage: scripts/fuzz.sh [target ...]            (default: every target)
# Environment: FUZZ_SECONDS (30 per target), FUZZ_RSS_MB (2048), FUZZ_TIMEOUT (10 s per input),
#              FUZZ_DIR (.build-fuzz: build, seeds and the growing corpus; gitignored),
#              FUZZ_ARTIFACTS (fuzz-artifacts: crashing inputs; gitignored), FUZZ_EXTRA (more libFuzzer flags).
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-30}
RSS_MB=${FUZZ_RSS_MB:-2048}
TIMEOUT=${FUZZ_TIMEOUT:-10}
DIR=${FUZZ_DIR:-.build-fuzz}
case $DIR in /*) ;; *) DIR=$PWD/$DIR ;; esac   # an absolute FUZZ_DIR stays where it is
ARTIFACTS=${FUZZ_ARTIFACTS:-fuzz-artifacts}
SWIFT=${SWIFT:-swift}

# Every target and its largest input (bytes); the seeds are smaller.
declare -A MAX_LEN=(
  [fuzz-intel5300]=8192 [fuzz-nexmon-payload]=4096 [fuzz-nexmon-pcap]=8192 [fuzz-esp32-csv]=8192
  [fuzz-atheros]=8192 [fuzz-picoscenes]=16384 [fuzz-feitcsi]=16384 [fuzz-model-file]=32768 [fuzz-config]=4096 [fuzz-subscriber-request]=2048
)
ALL=(fuzz-intel5300 fuzz-nexmon-payload fuzz-nexmon-pcap fuzz-esp32-csv fuzz-atheros fuzz-picoscenes fuzz-feitcsi fuzz-model-file fuzz-config
     fuzz-subscriber-request)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")

scripts/install-deps.sh python3 || exit 1
echo "== building fuzz targets (release, -sanitize=fuzzer,address) into $DIR"
$SWIFT build --package-path Fuzz -c release --scratch-path "$DIR" \
  -Xswiftc -sanitize=fuzzer,address || exit 1
BIN=$($SWIFT build --package-path Fuzz -c release --scratch-path "$DIR" --show-bin-path)

rm -rf "$DIR/seeds" && python3 Fuzz/make_seeds.py "$DIR/seeds" || exit 1
mkdir -p "$ARTIFACTS" "$DIR/logs"

failed=()
summary=()
for target in "${TARGETS[@]}"; do
  [ -n "${MAX_LEN[$target]:-}" ] || { echo "unknown fuzz target $target (known: ${ALL[*]})" >&2; exit 2; }
  corpus="$DIR/corpus/$target"
  mkdir -p "$corpus" "$DIR/seeds/$target"
  log="$DIR/logs/$target.log"
  echo "== $target: ${SECONDS_PER_TARGET}s (log: $log)"
  start=$(date +%s)
  # LSan: the suppressions of make sanitize (TOMLKit 0.6.0, fuzz-config, never frees a parsed TOML document).
  # SWIFT_BACKTRACE: the Swift runtime's crash handler, under ASan, reports its own memory reads on a crash instead of
  # the crash (and once left the fuzzer stopped under ptrace); libFuzzer prints the stack itself.
  # shellcheck disable=SC2086
  SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no} ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0} \
    "$BIN/$target" "$corpus" "$DIR/seeds/$target" \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" -timeout="$TIMEOUT" \
    -max_len="${MAX_LEN[$target]}" -artifact_prefix="$ARTIFACTS/$target-" -print_final_stats=1 \
    ${FUZZ_EXTRA:-} >"$log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  corpus_size=$(find "$corpus" -type f | wc -l)
  status=ok
  if [ $rc -ne 0 ]; then
    status="FAILED (exit $rc): $(grep -m1 -E 'ERROR: |Fatal error|deadly signal|timeout|out-of-memory' "$log" | cut -c1-160)"
    failed+=("$target")
    tail -40 "$log"
  fi
  summary+=("$(printf '%-24s %12s execs %8s exec/s  %-20s corpus %5s  rss %5s MB  %4ss  %s' \
    "$target" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$corpus_size" "${rss:-?}" "$elapsed" "$status")")
done

echo "== fuzz summary (${SECONDS_PER_TARGET}s per target; crashing inputs in $ARTIFACTS/)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
