#!/usr/bin/env bash
# `make run`: replay a bundled simulated capture through the daemon and print the events a subscriber sees.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release
"$bin/csihar" --help
