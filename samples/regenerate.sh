#!/bin/sh
# Regenerates the bundled sample captures with `csihar simulate` (deterministic: same seeds, same bytes).
# Usage: samples/regenerate.sh            (builds csihar in release mode if needed)
#        CSIHAR=path/to/csihar samples/regenerate.sh
set -eu
cd "$(dirname "$0")/.."
CSIHAR=${CSIHAR:-.build/release/csihar}
if [ ! -x "$CSIHAR" ]; then swift build -c release --product csihar; fi

# Intel 5300, 1 Tx x 3 Rx, every activity, 250 Hz (1 kHz would exceed the 2.5 MB sample budget at this length).
# As in a home: the daemon runs before the person comes in (3.5 s: a window is 3 s), still periods between
# activities, and after the fall the person stays down for a while before getting up.
"$CSIHAR" simulate --device intel5300 --seed 2024 --rate 250 --output samples/living-room-intel5300.dat \
  --script "idle 3.5s, walk 4s, idle 1.5s, pick up 3s, idle 1.5s, run 4s, idle 1.5s, sit down 3s, idle 2s, stand up 3s, idle 1.5s, fall 1.5s, idle 4s, stand up 3s, idle 1.5s, lie down 3s, idle 2.5s"

# Intel 5300 at 1 kHz like UT-HAR, a short fall scene.
"$CSIHAR" simulate --device intel5300 --seed 7 --rate 1000 --output samples/fall-1khz-intel5300.dat \
  --script "idle 3.5s, walk 3s, fall 1.5s, idle 3s"

# Nexmon bcm4366c0, cores 0..2 (3 antennas), 20 MHz, 50 Hz.
"$CSIHAR" simulate --device nexmon-4366c0 --seed 11 --rate 50 --bandwidth 20 --output samples/office-nexmon4366c0.pcap \
  --script "idle 3s, walk 5s, sit down 3s, idle 2s, stand up 3s, run 4s, fall 2s, idle 2s"

# Nexmon bcm43455c0 (Raspberry Pi, one antenna), 80 MHz, 20 Hz.
"$CSIHAR" simulate --device nexmon-43455c0 --seed 12 --rate 20 --bandwidth 80 --output samples/kitchen-nexmon43455c0-80mhz.pcap \
  --script "idle 3s, walk 6s, pick up 3s, idle 3s"

# ESP32 (one antenna, LLTF), 50 Hz.
"$CSIHAR" simulate --device esp32 --seed 13 --rate 50 --output samples/hallway-esp32.csv \
  --script "idle 3s, walk 6s, run 4s, idle 2s, fall 2s, idle 3s"

# Intel AX210 under FeitCSI (1 Tx stream x 2 Rx chains), HT 20 MHz (56 tones), 100 Hz. At 100 Hz an HE-SU 80 MHz
# capture of this script would be 17 MB (8.2 kB per packet) and VHT80 4.6 MB; HT20 keeps the rate activities need
# within the sample budget (about 1.5 MB). Wider AX210 recordings: --bandwidth 40/80/160, --phy-format.
"$CSIHAR" simulate --device ax210 --seed 14 --rate 100 --bandwidth 20 --output samples/bedroom-ax210-20mhz.csi \
  --script "idle 3s, walk 5s, sit down 3s, idle 2s, stand up 3s, fall 2s, idle 3s"

ls -l samples
