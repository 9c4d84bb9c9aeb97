#!/usr/bin/env python3
"""The README's picture: what the default recogniser sees in a bundled sample and what the daemon reports.

Top: the csi-ratio-doppler input (Doppler spectrum of the CSI ratio, 32 signed bands every 0.1 s) made by the
daemon's own feature code (`csihar dataset export --transform csi-ratio-doppler`, one frame per window). Bottom: the
label sidecar and the events of `csihar evaluate --events` (the daemon's exact path).
Usage: .venv/bin/python scripts/plot-sample.py [CAPTURE] [OUT.png]   (CSIHAR: default .build/release/csihar)
"""
import json, os, subprocess, sys, tempfile
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
capture = sys.argv[1] if len(sys.argv) > 1 else "samples/living-room-intel5300.dat"
out = sys.argv[2] if len(sys.argv) > 2 else "docs/sample-events.png"
csihar = os.environ.get("CSIHAR", os.path.join(ROOT, ".build/release/csihar"))
os.chdir(ROOT)
labels_path = os.path.splitext(capture)[0] + ".labels.csv"
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([csihar, "dataset", "export", "--format", "capture", "-o", tmp + "/x", "--transform",
                    "csi-ratio-doppler", "--steps", "1", "--hop-seconds", "0.1", "--min-coverage", "0",
                    "--unlabeled", "idle", "--labels", "lie down,fall,walk,pick up,run,sit down,stand up,idle",
                    capture], check=True, capture_output=True)
    frames = np.load(tmp + "/x/X.npy")[:, 0, :]                      # (frames, 32)
    subprocess.run([csihar, "evaluate", "--events", "--capture", capture, "--events-out", tmp + "/ev.ndjson"],
                   check=True, capture_output=True)
    events = [json.loads(line) for line in open(tmp + "/ev.ndjson")]
t0 = next(e["time"] for e in events if e["type"] == "stream.up")
truth = [l.strip().split(",") for l in open(labels_path)][1:]
# the first spectrum ends 0.256 s after the first frame, then one every 0.1 s
times = 0.256 + 0.1 * np.arange(len(frames))

fig, (ax, bx) = plt.subplots(2, 1, figsize=(11, 5.2), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
ax.imshow(frames.T, aspect="auto", origin="lower", cmap="magma", vmin=-45, vmax=-5,
          extent=[times[0] - 0.05, times[-1] + 0.05, -125, 125])
ax.set_ylabel("Doppler (Hz)")
ax.set_title(f"{capture}: what the recogniser sees (csi-ratio-doppler, dB) and what csihard reports", fontsize=10)
colors = {"walk": "tab:blue", "run": "tab:purple", "sit down": "tab:green", "stand up": "tab:olive",
          "pick up": "tab:cyan", "lie down": "tab:brown", "fall": "tab:red"}
for start, end, name in truth:
    if name != "idle":
        bx.barh(1, float(end) - float(start), left=float(start), color=colors.get(name, "gray"), alpha=0.8)
        bx.text((float(start) + float(end)) / 2, 1, name, ha="center", va="center", fontsize=7, color="white")
open_spans = {}
for e in events:
    t = e["time"] - t0
    if e["type"] == "activity.started":
        open_spans[e["activity"]] = (e.get("start_time", e["time"]) - t0, t)
    elif e["type"] == "activity.ended" and e["activity"] in open_spans:
        start, announced = open_spans.pop(e["activity"])
        length = e.get("duration", t - start)            # the estimated span: start_time + duration
        bx.barh(0, length, left=start, color=colors.get(e["activity"], "gray"), alpha=0.8)
        bx.text(start + length / 2, 0, e["activity"], ha="center", va="center", fontsize=7, color="white")
        bx.plot([announced], [0.42], marker="v", color="black", markersize=4)
    elif e["type"] == "fall.detected":
        bx.plot([t], [0], marker="*", color="red", markersize=14)
        bx.annotate("fall.detected", (t, 0), xytext=(t + 0.4, -0.55), fontsize=7, color="red")
bx.set_yticks([0, 1], ["events", "labels"])
bx.set_ylim(-0.8, 1.6)
bx.set_xlabel("seconds from the first frame (▼ activity.started arrives; bars: start_time, duration)")
fig.tight_layout()
fig.savefig(out, dpi=110)
print(f"wrote {out}")
