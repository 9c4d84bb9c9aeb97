#!/usr/bin/env python3
"""Phase and amplitude statistics of real captures (../shared/data) next to the simulator's (docs/simulator.md).

Per capture, over consecutive packets of transmit stream 0 (csiread decodes everything):
  common phase step   circular std (rad) of the packet-to-packet change of the mean phase (2.0 or more: random)
  delay slope         std (rad per subcarrier index) of the per-packet linear phase slope over the subcarriers
  ratio phase step    circular std (rad) of the packet-to-packet change of the phase of H1 conj(H0) (chains 1/0),
                      the quantity csi-ratio-doppler builds on: small when the per-packet garbage cancels
  amplitude CV        median over subcarriers of std/mean of |H| over the capture
Usage: .venv/bin/python scripts/compare-capture-stats.py (after samples/regenerate.sh)
"""
import os
import numpy as np
import csiread
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data", "captures")


def circ_std(angles):
    r = np.abs(np.mean(np.exp(1j * angles)))
    return float(np.sqrt(-2 * np.log(max(r, 1e-12))))


def stats(h, k):
    """h: (packets, nsub, nrx) complex; k: subcarrier indices."""
    phase = np.angle(h[:, :, 0])
    common = np.angle(np.mean(h[:, :, 0] * np.conj(h[:, :, 0].mean(axis=0)), axis=1))
    unwrapped = np.unwrap(phase, axis=1)
    slope = np.polyfit(k, unwrapped.T, 1)[0]
    row = {"packets": len(h),
           "common phase step": circ_std(np.diff(common)),
           "delay slope": float(np.std(slope)),
           "amplitude CV": float(np.median(np.std(np.abs(h[:, :, 0]), axis=0) / np.mean(np.abs(h[:, :, 0]), axis=0)))}
    if h.shape[2] >= 2:
        ratio = np.angle(h[:, len(k) // 2, 1] * np.conj(h[:, len(k) // 2, 0]))
        row["ratio phase step"] = circ_std(np.diff(ratio))
    return row


INTEL_K = np.array([-28, -26, -24, -22, -20, -18, -16, -14, -12, -10, -8, -6, -4, -2, -1,
                    1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 28])
rows = []
for label, path in [("real Intel 5300 sample_0x1_ap.dat (AP traffic, 3 Rx)", os.path.join(SHARED, "intel5300/sample_0x1_ap.dat")),
                    ("real Intel 5300 example.dat (3 Rx)", os.path.join(SHARED, "intel5300/example.dat")),
                    ("real Intel 5300 WiAR height/60_rawdata/csi_a13_1.dat (1 Tx, person moving)", os.path.join(SHARED, "..", "wiar/height/60_rawdata/csi_a13_1.dat")),
                    ("real Intel 5300 WiAR distance/1_alldata/csi_a12_1.dat (1 Tx, walking)", os.path.join(SHARED, "..", "wiar/distance/1_alldata/csi_a12_1.dat")),
                    ("simulated samples/living-room-intel5300.dat (person moving)", os.path.join(ROOT, "samples/living-room-intel5300.dat"))]:
    if not os.path.exists(path):
        print(f"SKIP: {path} missing"); continue
    d = csiread.Intel(path, nrxnum=3, ntxnum=3, pl_size=0, if_report=False)
    d.read()
    rows.append((label, stats(d.csi[:, :, :3, 0], INTEL_K)))
for label, path, chip in [("real Nexmon BCM43455c0 example (1 core, 80 MHz)", os.path.join(SHARED, "nexmon/example_43455c0.pcap"), "43455c0"),
                          ("simulated samples/kitchen-nexmon43455c0-80mhz.pcap", os.path.join(ROOT, "samples/kitchen-nexmon43455c0-80mhz.pcap"), "43455c0")]:
    if not os.path.exists(path):
        print(f"SKIP: {path} missing"); continue
    d = csiread.Nexmon(path, chip=chip, bw=80, if_report=False)
    d.read()
    csi = np.fft.fftshift(d.csi, axes=1)
    k = np.arange(-128, 128)
    used = (np.abs(k) >= 2) & (np.abs(k) <= 122)
    rows.append((label, stats(csi[:, used][:, :, None], k[used])))
def read_feitcsi(path):
    """FeitCSI .csi: (packets, tones, nrx) complex of tx 0, and the tone indices in legacy (312.5 kHz) units."""
    data, at, out = open(path, "rb").read(), 0, []
    while at + 272 <= len(data):
        length, = struct.unpack_from("<I", data, at)
        nrx, ntx, tones = data[at + 46], data[at + 47], struct.unpack_from("<I", data, at + 52)[0]
        v = np.frombuffer(data, dtype="<i2", count=2 * nrx * ntx * tones, offset=at + 272).astype(float)
        out.append((v[0::2] + 1j * v[1::2]).reshape(nrx, ntx, tones)[:, 0, :].T)
        at += 272 + length
    h = np.array(out)
    tones = h.shape[1]
    if tones == 56:
        k = np.r_[-28:0, 1:29]
    elif tones == 242:
        k = np.r_[-122:-1, 2:123]
    elif tones == 996:
        k = np.r_[-500:-2, 3:501] / 4
    elif tones == 1992:
        k = np.r_[-1012:-514, -509:-11, 12:510, 515:1013] / 4
    else:
        k = np.arange(tones) - tones / 2
    used = np.all(np.abs(h) > 0, axis=(0, 2))          # AX210 pilots are 0
    return h[:, used], k[used]


for label, path in [("real AX210 FeitCSI HT20_2452.csi (2 Rx)", os.path.join(SHARED, "feitcsi/HT20_2452.csi")),
                    ("real AX210 FeitCSI VHT80_5500.csi (2 Rx)", os.path.join(SHARED, "feitcsi/VHT80_5500.csi")),
                    ("real AX210 FeitCSI HESU80_5500.csi (2 Rx)", os.path.join(SHARED, "feitcsi/HESU80_5500.csi")),
                    ("real AX210 FeitCSI HESU160_5500.csi (2 Rx)", os.path.join(SHARED, "feitcsi/HESU160_5500.csi")),
                    ("simulated samples/bedroom-ax210-20mhz.csi (person moving)", os.path.join(ROOT, "samples/bedroom-ax210-20mhz.csi"))]:
    if not os.path.exists(path):
        print(f"SKIP: {path} missing"); continue
    h, k = read_feitcsi(path)
    rows.append((label, stats(h, k)))
keys = ["packets", "common phase step", "delay slope", "ratio phase step", "amplitude CV"]
print("| capture | " + " | ".join(keys) + " |")
print("|---" * (len(keys) + 1) + "|")
for label, row in rows:
    print(f"| {label} | " + " | ".join(("%d" % row[k]) if k == "packets" else ("%.3f" % row[k] if k in row else "-") for k in keys) + " |")
