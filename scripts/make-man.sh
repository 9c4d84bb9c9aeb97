#!/usr/bin/env bash
# `make man`: regenerate man/csihar.1 and man/csihard.1 from the commands' ArgumentParser definitions
# (swift-argument-parser's generate-manual plugin, on the debug build; works offline), each followed by its
# hand-written sections in man/extra/<page>.mdoc (environment, signals, files, examples, see also).
# man/csihard.toml.5 is hand-written. The date is that of the last commit touching the commands' sources, so an
# unchanged tree regenerates identical pages. Tests/csiharTests/ManPageTests.swift fails when an option or
# subcommand is missing from the committed pages: run this script then.
set -euo pipefail
cd "$(dirname "$0")/.."

date=$(git log -1 --format=%cs -- Sources/csihar Sources/csihard Sources/CSIDaemon/CSIHARVersion.swift 2>/dev/null || true)
[ -n "$date" ] || date=$(date +%F)
swift package generate-manual --configuration debug --date "$date" >&2
outputs=.build/plugins/GenerateManual/outputs
for tool in csihar csihard; do
  page=$outputs/$tool/$tool.1
  [ -s "$page" ] || { echo "make-man: $page was not generated" >&2; exit 1; }
  { cat "$page"; echo; cat "man/extra/$tool.1.mdoc"; } > "man/$tool.1"
  echo "man/$tool.1"
done
