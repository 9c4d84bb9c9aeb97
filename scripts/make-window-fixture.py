#!/usr/bin/env python3
"""Independent reference for the whole feature path on a long recording
(Tests/CSIFeaturesTests/Fixtures/intel5300-windows.json).

The recording is the project's own simulated Intel 5300 capture (samples/living-room-intel5300.dat: 3 x 30, 250
packets/s with jitter and lost packets); WiAR files are never copied into the repository, raw or decoded.
csiread decodes and scales it (get_scaled_csi), NumPy computes amplitude-db, then the zero-order-hold
resampling and windowing are re-implemented here from their definition in docs/features.md (vectorised with
searchsorted, not a port of the Swift loop):
  grid t0 + i / (rate * P); value at instant tau = last frame with timestamp <= tau; step n = mean of its P instants;
  steps whose instants are all <= the last timestamp; windows of STEPS steps, the first when full, then every HOP.
Run with the project venv: .venv/bin/python scripts/make-window-fixture.py
"""
import json, os
import numpy as np
import csiread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REL = "samples/living-room-intel5300.dat"
PATH = os.path.join(ROOT, REL)
RATE, POINTS, STEPS, HOP = 250.0, 2, 50, 6

d = csiread.Intel(PATH, nrxnum=3, ntxnum=3, pl_size=0, if_report=False)
d.read()
ts = d.timestamp_low.astype(np.float64) * 1e-6
amp = np.abs(d.get_scaled_csi()[:, :, :3, 0])            # (frames, 30, 3)
with np.errstate(divide="ignore"):
    db = 20 * np.log10(amp)
db[np.isinf(db)] = 0
features = np.transpose(db, (0, 2, 1)).reshape(len(ts), 90)   # f = 30*antenna + s
assert np.all(np.diff(ts) > 0) and np.max(np.diff(ts)) < 0.5, "fixture assumes no duplicates/gaps"

tol = 1e-9
t0 = ts[0]
count = int(np.floor((ts[-1] + tol - t0) * RATE * POINTS)) + 1   # instants <= last timestamp
count -= count % POINTS
instants = t0 + np.arange(count) / (RATE * POINTS)
index = np.searchsorted(ts, instants + tol, side="right") - 1
steps = features[index].reshape(-1, POINTS, 90).mean(axis=1)      # (steps, 90)
ends = list(range(STEPS - 1, len(steps), HOP))
windows = np.stack([steps[e - STEPS + 1:e + 1] for e in ends])   # (N, STEPS, 90)

out = os.path.join(ROOT, "Tests/CSIFeaturesTests/Fixtures/intel5300-windows.json")
with open(out, "w") as f:
    json.dump({"oracle": "csiread " + csiread.__version__ + " + numpy zero-order hold", "file": REL,
               "rate": RATE, "points": POINTS, "steps": STEPS, "hop": HOP, "frames": int(len(ts)),
               "window_count": len(ends), "window_means": [round(float(w.mean()), 6) for w in windows],
               "first": [round(float(v), 5) for v in windows[0].reshape(-1)],
               "last": [round(float(v), 5) for v in windows[-1].reshape(-1)]}, f, separators=(",", ":"))
print(f"{len(ts)} frames -> {len(steps)} steps -> {len(ends)} windows; wrote {out}")
