#!/usr/bin/env python3
"""Real Raspberry Pi Nexmon CSI (Fition, ../shared/data/fition) next to simulated 1-chain Nexmon (docs/simulator.md).

The figures the amplitude-doppler input sees: each frame's |H| divided by its RMS (guard and null subcarriers out),
then, over 1 s spans, the std of each subcarrier's normalised amplitude averaged over subcarriers ("spread"):
  still      median spread of recordings with a person present and not moving (Fition `nm`; simulated idle)
  moving     90th percentile spread of recordings with walking (Fition `walking`; simulated walk segments)
  rate, gaps packets/s and intervals > 5x the median
Simulated recordings: `csihar simulate --device nexmon-43455c0 --bandwidth 80 --rate 50` at 30 dB and 15 dB SNR
(written to .build/fition-compare/). Usage: .venv/bin/python scripts/compare-fition-sim.py
"""
import glob
import os
import subprocess

import csiread
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FITION = os.path.join(ROOT, "..", "shared", "data", "fition")
OUT = os.path.join(ROOT, ".build", "fition-compare")
CSIHAR = os.path.join(ROOT, ".build", "release", "csihar")


def load(path):
    d = csiread.Nexmon(path, chip="43455c0", bw=80, if_report=False)
    d.read()
    source = np.array([str(s) for s in d.src_addr])
    values, counts = np.unique(source, return_counts=True)
    keep = source == values[counts.argmax()]
    t = (d.sec + d.usec * 1e-6)[keep].astype(np.float64)
    a = np.abs(d.csi[keep]).astype(np.float64)
    a = a[:, a.mean(axis=0) > 0.2 * a.mean()]
    return t - t[0], a / np.sqrt((a ** 2).mean(axis=1, keepdims=True))


def spreads(t, a, start=0.0, end=None):
    end = t[-1] if end is None else end
    out = []
    for s in np.arange(start, end - 1.0, 0.5):
        m = (t >= s) & (t < s + 1.0)
        if m.sum() > 5:
            out.append(a[m].std(axis=0).mean())
    return out


def timing(t):
    dt = np.diff(t)
    return len(t) / t[-1], int((dt > 5 * np.median(dt)).sum())


def report(name, still, moving, rates, gaps):
    print(f"| {name} | {np.median(still):.3f} | {np.percentile(moving, 90):.3f} | {np.median(rates):.1f} | "
          f"{np.mean(gaps):.1f} |")


print("| source | still spread (median) | moving spread (p90) | packets/s | gaps > 5x median per 10 s |")
print("|---|---|---|---|---|")
for room in ("user1_rm1", "user3_rm3"):
    still, moving, rates, gaps = [], [], [], []
    for kind, target in (("nm", still), ("walking", moving)):
        for p in sorted(glob.glob(os.path.join(FITION, f"{kind}_{room}", "*.pcap"))):
            t, a = load(p)
            target += spreads(t, a)
            r, g = timing(t)
            rates.append(r)
            gaps.append(g * 10 / t[-1])
    report(f"Fition {room} (real)", still, moving, rates, gaps)
os.makedirs(OUT, exist_ok=True)
for snr in (30, 15):
    still, moving, rates, gaps = [], [], [], []
    for seed in range(49000, 49010):
        path = os.path.join(OUT, f"sim-{snr}-{seed}.pcap")
        if not os.path.exists(path):
            subprocess.run([CSIHAR, "simulate", "--device", "nexmon-43455c0", "--bandwidth", "80", "--rate", "50",
                            "--snr", str(snr), "--seed", str(seed), "--script", "idle 10s, walk 10s",
                            "--output", path], check=True, capture_output=True)
        t, a = load(path)
        still += spreads(t, a, 1.0, 9.0)
        moving += spreads(t, a, 11.0, 19.0)
        r, g = timing(t)
        rates.append(r)
        gaps.append(g * 10 / t[-1])
    report(f"simulated nexmon-43455c0 80 MHz, {snr} dB SNR", still, moving, rates, gaps)
