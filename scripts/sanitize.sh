#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer (+LeakSanitizer) and then ThreadSanitizer, each in its own
# scratch directory (.build-asan, .build-tsan; gitignored). Fails when a build, a test or a sanitizer report fails.
#
# Usage: scripts/sanitize.sh [address] [thread]      (default: both, in that order)
# Tests see CSIHAR_SANITIZER=address|thread; the few that cannot run meaningfully under a sanitizer skip with a
# message naming it (see README "Sanitizers").
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
KINDS=("$@")
[ ${#KINDS[@]} -eq 0 ] && KINDS=(address thread)

scripts/install-deps.sh ${TEST_PACKAGES:-systemd mosquitto mosquitto-clients openssl} || exit 1
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
supp="$PWD/scripts/sanitizers"
results=()
status=0
for kind in "${KINDS[@]}"; do
  case $kind in
    address) dir=.build-asan
             export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
             export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$supp/lsan.supp:print_suppressions=0} ;;
    thread)  dir=.build-tsan
             export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1:suppressions=$supp/tsan.supp} ;;
    *) echo "unknown sanitizer $kind (address or thread)" >&2; exit 2 ;;
  esac
  echo "== $kind sanitizer: build ($dir)"
  start=$(date +%s)
  if ! $SWIFT build --build-tests --sanitize="$kind" --scratch-path "$dir"; then
    results+=("$kind: BUILD FAILED"); status=1; continue
  fi
  built=$(date +%s)
  echo "== $kind sanitizer: test"
  log="$dir/sanitize-test.log"
  CSIHAR_SANITIZER=$kind $SWIFT test --skip-build --sanitize="$kind" --scratch-path "$dir" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  done_at=$(date +%s)
  reports=$(grep -cE '^(==[0-9]+==ERROR: |WARNING: ThreadSanitizer|SUMMARY: (Address|Leak|Thread)Sanitizer)' "$log")
  line="$kind: build $((built - start))s, tests $((done_at - built))s, exit $rc, sanitizer reports $reports"
  if [ "$rc" -ne 0 ] || [ "$reports" -ne 0 ]; then line="$line  FAILED"; status=1; fi
  results+=("$line")
done
echo "== sanitize summary"
printf '%s\n' "${results[@]}"
exit $status
