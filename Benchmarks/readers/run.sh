#!/usr/bin/env bash
# Reader benchmark: csihar (release) against csiread 1.4.1 on the same files, whole process against whole
# process, wall time and peak RSS from /usr/bin/time. Inputs are built in $WORK (default /tmp) and removed after:
#   intel-100x.dat   100 x captures/intel5300/sample_0x1_ap.dat      (54 000 frames, 21 MB)
#   nexmon-100x.pcap 100 x captures/nexmon/example_43455c0.pcap      (56 600 frames, 62 MB; one pcap header)
#   pico-100x.csi    100 x captures/picoscenes/picoscenes_ax200_example.csi (88 500 AX200 frames, 96 MB; csiread's
#                    pl_size CSI [56, 2, 1], the largest frame shape: [1992, 3, 3] would need 24 GB)
#   intel-1g.dat     5000 x sample_0x1_ap.dat (1.07 GB) for the constant-memory check (csihar only)
# Usage: Benchmarks/readers/run.sh [runs]   (default 5 runs per command; the median is reported)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
DATA=${DATA:-../shared/data/captures}
WORK=${WORK:-/tmp/csihar-reader-bench}
CSIHAR=.build/release/csihar

swift build -c release --product csihar >/dev/null
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

"$PYTHON" - "$DATA" "$WORK" <<'EOF'
import sys, os
data, work = sys.argv[1], sys.argv[2]
intel = open(os.path.join(data, "intel5300/sample_0x1_ap.dat"), "rb").read()
with open(os.path.join(work, "intel-100x.dat"), "wb") as f:
    for _ in range(100): f.write(intel)
pcap = open(os.path.join(data, "nexmon/example_43455c0.pcap"), "rb").read()
with open(os.path.join(work, "nexmon-100x.pcap"), "wb") as f:
    f.write(pcap)
    for _ in range(99): f.write(pcap[24:])          # records only: one global header
pico = open(os.path.join(data, "picoscenes/picoscenes_ax200_example.csi"), "rb").read()
with open(os.path.join(work, "pico-100x.csi"), "wb") as f:
    for _ in range(100): f.write(pico)
with open(os.path.join(work, "intel-1g.dat"), "wb") as f:
    for _ in range(5000): f.write(intel)
EOF

# measure NAME FRAMES command...: runs it $RUNS times, prints "NAME median_s frames/s peak_rss_MB"
measure() {
    local name=$1 frames=$2; shift 2
    local times=() rss=()
    for _ in $(seq "$RUNS"); do
        local out
        out=$( { /usr/bin/time -f "TIME %e %M" "$@" >/dev/null; } 2>&1 | grep '^TIME' )
        times+=("$(echo "$out" | cut -d' ' -f2)")
        rss+=("$(echo "$out" | cut -d' ' -f3)")
    done
    "$PYTHON" -c '
import sys, statistics
name, frames = sys.argv[1], int(sys.argv[2])
n = (len(sys.argv) - 3) // 2
t = [float(x) for x in sys.argv[3:3 + n]]; r = [int(x) for x in sys.argv[3 + n:]]
m = statistics.median(t)
print("%-34s median %7.3f s  (min %.3f, max %.3f)  %10.0f frames/s  peak RSS %7.1f MB" % (name, m, min(t), max(t), frames / m, max(r) / 1024))
' "$name" "$frames" "${times[@]}" "${rss[@]}"
}

INTEL=$WORK/intel-100x.dat
NEXMON=$WORK/nexmon-100x.pcap
INTEL_FRAMES=$($CSIHAR inspect --count-only "$INTEL")
NEXMON_FRAMES=$($CSIHAR inspect --count-only "$NEXMON")
PEER_INTEL=$("$PYTHON" -c "import csiread,sys; d=csiread.Intel(sys.argv[1], nrxnum=3, ntxnum=3, if_report=False); d.read(); print(d.count)" "$INTEL")
PEER_NEXMON=$("$PYTHON" -c "import csiread,sys; d=csiread.NexmonPull46(sys.argv[1], chip='43455c0', bw=80, if_report=False); d.read(); print(d.csi.shape[0])" "$NEXMON")
PICO=$WORK/pico-100x.csi
PICO_READ="import csiread,sys; d=csiread.Picoscenes(sys.argv[1], {'CSI': [56, 2, 1], 'MVMExtra': [1, 1, 1], 'PilotCSI': [1, 1, 1], 'LegacyCSI': [1, 1, 1], 'BasebandSignals': [1, 1, 1], 'PreEQSymbols': [1, 1, 1]}, if_report=False); d.read()"
PICO_FRAMES=$($CSIHAR inspect --count-only "$PICO")
PEER_PICO=$("$PYTHON" -c "$PICO_READ; print(d.count)" "$PICO")
echo "frames: intel csihar=$INTEL_FRAMES csiread=$PEER_INTEL; nexmon csihar=$NEXMON_FRAMES csiread=$PEER_NEXMON; picoscenes csihar=$PICO_FRAMES csiread=$PEER_PICO"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); runs per command: $RUNS"

measure "csihar inspect --count-only intel" "$INTEL_FRAMES" $CSIHAR inspect --count-only "$INTEL"
measure "csiread Intel.read() intel" "$INTEL_FRAMES" "$PYTHON" -c "import csiread,sys; d=csiread.Intel(sys.argv[1], nrxnum=3, ntxnum=3, if_report=False); d.read()" "$INTEL"
measure "csihar inspect --count-only nexmon" "$NEXMON_FRAMES" $CSIHAR inspect --count-only "$NEXMON"
measure "csiread NexmonPull46.read() nexmon" "$NEXMON_FRAMES" "$PYTHON" -c "import csiread,sys; d=csiread.NexmonPull46(sys.argv[1], chip='43455c0', bw=80, if_report=False); d.read()" "$NEXMON"
measure "csihar inspect --count-only picoscenes" "$PICO_FRAMES" $CSIHAR inspect --count-only "$PICO"
measure "csiread Picoscenes.read() picoscenes" "$PICO_FRAMES" "$PYTHON" -c "$PICO_READ" "$PICO"
measure "python -c 'import csiread' (startup)" 1 "$PYTHON" -c "import csiread"
measure "csihar replay --speed max intel" "$INTEL_FRAMES" $CSIHAR replay --speed max "$INTEL"
measure "csihar replay --speed max nexmon" "$NEXMON_FRAMES" $CSIHAR replay --speed max "$NEXMON"
measure "csihar replay --speed max picoscenes" "$PICO_FRAMES" $CSIHAR replay --speed max "$PICO"

BIG=$WORK/intel-1g.dat
BIG_FRAMES=$((INTEL_FRAMES * 50))
echo "constant memory: $(du -h "$BIG" | cut -f1) file"
RUNS=1 measure "csihar inspect --count-only 1 GB" "$BIG_FRAMES" $CSIHAR inspect --count-only "$BIG"
RUNS=1 measure "csihar inspect 1 GB (statistics)" "$BIG_FRAMES" $CSIHAR inspect "$BIG"
