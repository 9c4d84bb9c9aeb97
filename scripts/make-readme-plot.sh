#!/usr/bin/env bash
# The README's "Looking at a capture" picture: `csihar plot` of a bundled sample with its label sidecar and the
# model csihard's routes give it (the default recogniser for the Intel 5300 samples).
# Usage: scripts/make-readme-plot.sh [CAPTURE] [OUT.svg]   (CSIHAR: default .build/release/csihar, else debug)
set -euo pipefail
cd "$(dirname "$0")/.."
capture=${1:-samples/living-room-intel5300.dat}
out=${2:-docs/img/living-room-plot.svg}
csihar=${CSIHAR:-}
if [ -z "$csihar" ]; then
  for build in release debug; do
    [ -x ".build/$build/csihar" ] && { csihar=".build/$build/csihar"; break; }
  done
fi
[ -n "$csihar" ] || { echo "no csihar build: run \`swift build -c release\` first (or set CSIHAR)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
"$csihar" plot "$capture" -o "$out"
echo "$out: $(wc -c < "$out") bytes"
