#!/usr/bin/env bash
# Installs csihar with PREFIX=/usr into a scratch DESTDIR and checks the tree: the binaries run (--version), the
# man pages render without warnings, the units' ExecStart, WorkingDirectory and --config exist in the tree, the
# completions parse, the installed daemon run from elsewhere with the installed config finds the installed models,
# a second install keeps an edited config, and uninstall leaves only the config. Exits non-zero on any failure.
#
#   scripts/test-install.sh             # through `make install BUILD=debug` (`make test` runs it after the Swift tests)
#   scripts/test-install.sh --no-make   # scripts/install.sh on BIN_DIR (default .build/debug; the Swift test
#                                       # InstallTests runs this, as swift test cannot call swift build)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/csihar-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
prefix=/usr
failures=0
checks=0
fail() { echo "test-install: FAIL: $*" >&2; failures=$((failures + 1)); }
check() { checks=$((checks + 1)); }   # counts one expectation

if [ "${1:-}" = "--no-make" ]; then
  BIN_DIR=${BIN_DIR:-.build/debug} PREFIX=$prefix DESTDIR=$dest scripts/install.sh install > "$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log" >&2; echo "test-install: FAIL: scripts/install.sh install failed" >&2; exit 1; }
else
  make --no-print-directory install BUILD=debug PREFIX=$prefix DESTDIR="$dest" > "$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log" >&2; echo "test-install: FAIL: make install failed" >&2; exit 1; }
fi

# Binaries.
version=$(sed -n 's/.*string = "\(.*\)".*/\1/p' Sources/CSIDaemon/CSIHARVersion.swift)
for tool in csihard csihar; do
  check
  got=$("$dest$prefix/bin/$tool" --version 2>&1) || true
  [ "$got" = "$version" ] || fail "$prefix/bin/$tool --version printed '$got', expected '$version'"
done

# Man pages: the first macro is .TH (man) or .Dd (mdoc), and man renders them without warnings.
for page in man1/csihard.1 man1/csihar.1 man5/csihard.toml.5; do
  file=$dest$prefix/share/man/$page
  check
  [ -s "$file" ] || { fail "$prefix/share/man/$page is missing"; continue; }
  first=$(awk '!/^\.\\"/ { print; exit }' "$file")
  case "$first" in .TH*|.Dd*) ;; *) fail "$page starts with '$first', not .TH or .Dd" ;; esac
  if command -v man > /dev/null; then
    warnings=$(MANWIDTH=100 man --warnings -l "$file" 2>&1 > "$tmp/rendered")
    [ -z "$warnings" ] || fail "man -l $page warns: $warnings"
    grep -q NAME "$tmp/rendered" || fail "man -l $page renders no NAME section"
  fi
done

# systemd units: ExecStart's binary, --config and WorkingDirectory exist in the tree; no /usr/local left.
unit=$dest$prefix/lib/systemd/system/csihard.service
check
if [ -f "$unit" ]; then
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  binary=${exec_start%% *}
  [ "$binary" = "$prefix/bin/csihard" ] && [ -x "$dest$binary" ] || fail "ExecStart binary '$binary' is not $prefix/bin/csihard in the tree"
  config=$(sed -n 's/.*--config \([^ ]*\).*/\1/p' <<< "$exec_start")
  [ -n "$config" ] && [ -f "$dest$config" ] || fail "ExecStart's --config '$config' is not installed"
  workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
  [ -d "$dest$workdir/models" ] || fail "WorkingDirectory '$workdir' has no models/ in the tree"
  ! grep -q /usr/local "$unit" "$dest$prefix/lib/systemd/system/csihard.socket" || fail "/usr/local left in the units"
else
  fail "$prefix/lib/systemd/system/csihard.service is missing"
fi
check
[ -f "$dest$prefix/lib/systemd/system/csihard.socket" ] || fail "csihard.socket is missing"
check
grep -q '^g csihar' "$dest$prefix/lib/sysusers.d/csihar.conf" 2> /dev/null || fail "$prefix/lib/sysusers.d/csihar.conf lacks the csihar group"
check
cmp -s <(sed "s|/usr/local|$prefix|g" systemd/csihard.toml) "$dest/etc/csihard/csihard.toml" \
  || fail "/etc/csihard/csihard.toml is not systemd/csihard.toml with $prefix"

# Models and documents.
for model in models/*.safetensors; do
  check
  cmp -s "$model" "$dest$prefix/share/csihar/$model" || fail "$prefix/share/csihar/$model is missing or differs"
done
check
[ -f "$dest$prefix/share/doc/csihar/README.md" ] || fail "$prefix/share/doc/csihar/README.md is missing"

# Completions.
for tool in csihard csihar; do
  check
  bash_file=$dest$prefix/share/bash-completion/completions/$tool
  bash -n "$bash_file" 2> /dev/null && grep -q "complete .*$tool" "$bash_file" || fail "bad bash completion $bash_file"
  check
  head -1 "$dest$prefix/share/zsh/site-functions/_$tool" 2> /dev/null | grep -q "^#compdef $tool" || fail "bad zsh completion _$tool"
  check
  grep -q "^complete -c '\\?$tool" "$dest$prefix/share/fish/vendor_completions.d/$tool.fish" 2> /dev/null || fail "bad fish completion $tool.fish"
done

# The installed tools, run from a directory without models/, find the installed models.
mkdir -p "$tmp/elsewhere"
check
listed=$(cd "$tmp/elsewhere" && "$dest$prefix/bin/csihar" models list 2>&1) || true
grep -q '^csihar-doppler-gru.safetensors ' <<< "$listed" || fail "installed csihar models list (cwd without models/) printed: $listed"
check
log=$tmp/daemon.log
if (cd "$tmp/elsewhere" && OPENBLAS_NUM_THREADS=1 timeout 120 "$dest$prefix/bin/csihard" --config "$dest/etc/csihard/csihard.toml" \
      --source "replay:$repo/samples/kitchen-nexmon43455c0-80mhz.pcap" --speed max --exit-when-done \
      --socket "$tmp/events.sock" --log-level info) > /dev/null 2> "$log"; then
  for model in csihar-doppler-gru csihar-2ch100-doppler-gru csihar-2ch50-doppler-gru csihar-2ch-doppler-gru csihar-1ch50-doppler-gru csihar-1ch-doppler-gru; do
    grep -q "route\[[0-9]\] \[.*\]: .*$dest$prefix/share/csihar/models/$model.safetensors" "$log" \
      || fail "the installed daemon did not load the installed $model (log: $(tail -c 2000 "$log"))"
  done
  ! grep -q "is missing" "$log" || fail "the installed daemon misses a model: $(grep 'is missing' "$log")"
else
  fail "the installed csihard failed: $(tail -c 2000 "$log")"
fi

# A second install keeps an edited config and puts the shipped one beside it.
echo "# edited" >> "$dest/etc/csihard/csihard.toml"
cp -r "$dest$prefix/bin" "$tmp/bin"
BIN_DIR=$tmp/bin PREFIX=$prefix DESTDIR=$dest scripts/install.sh install > "$tmp/reinstall.log" 2>&1 \
  || fail "second install failed: $(cat "$tmp/reinstall.log")"
check
tail -1 "$dest/etc/csihard/csihard.toml" | grep -q '^# edited$' || fail "a second install overwrote the edited config"
check
[ -f "$dest/etc/csihard/csihard.toml.new" ] && grep -q csihard.toml.new "$tmp/reinstall.log" \
  || fail "a second install did not put csihard.toml.new beside the edited config (and say so)"

# Uninstall: only the configuration is left.
if [ "${1:-}" = "--no-make" ]; then
  PREFIX=$prefix DESTDIR=$dest scripts/install.sh uninstall > "$tmp/uninstall.log" 2>&1 || fail "uninstall failed"
else
  make --no-print-directory uninstall PREFIX=$prefix DESTDIR="$dest" > "$tmp/uninstall.log" 2>&1 || fail "make uninstall failed"
fi
check
left=$(cd "$dest" && find . -type f | sort | tr '\n' ' ')
[ "$left" = "./etc/csihard/csihard.toml ./etc/csihard/csihard.toml.new " ] || fail "uninstall left: $left"

if [ "$failures" -gt 0 ]; then
  echo "test-install: $failures of $checks checks failed (install log: below)" >&2
  cat "$tmp/install.log" >&2
  exit 1
fi
echo "test-install: install tree OK ($checks checks, PREFIX=$prefix, DESTDIR=$dest)"
