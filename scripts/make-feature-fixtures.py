#!/usr/bin/env python3
"""Golden fixture for the Intel 5300 feature path (Tests/CSIFeaturesTests/Fixtures/intel5300-features.json).

The oracle is csiread 1.4.1 (an independent implementation of read_bfee/get_scaled_csi): for each frame we store the
raw decoded fields the Swift CSIFrame carries (CSI as (ntx, nrx, 30) after the antenna permutation, rssi, noise, agc)
and the expected 90 features 20*log10|get_scaled_csi(H)[s, a, tx 0]| (-inf -> 0), feature f = 30*a + s.
Run with the project venv: .venv/bin/python scripts/make-feature-fixtures.py
"""
import json, os, sys
import numpy as np
import csiread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
# (path, frames taken, folder). No WiAR recording here: the dataset's files are read from ../shared/data by the
# tests that need them and never copied into the repository, raw or decoded; the project's own simulated capture
# stands in for a long 3x30 recording.
SOURCES = [
    ("samples/living-room-intel5300.dat", 12, ROOT),
    ("captures/intel5300/log.all_csi.6.7.6.dat", 29, SHARED),
    ("captures/intel5300/example.dat", 6, SHARED),
]

frames = []
for rel, limit, folder in SOURCES:
    d = csiread.Intel(os.path.join(folder, rel), nrxnum=3, ntxnum=3, pl_size=0, if_report=False)
    d.read()
    scaled = d.get_scaled_csi()                      # (N, 30, 3, 3)
    taken = 0
    for i in range(len(d.csi)):
        nrx, ntx = int(d.Nrx[i]), int(d.Ntx[i])
        if nrx != 3 or taken >= limit:
            continue
        raw = d.csi[i, :, :nrx, :ntx]                # (30, nrx, ntx)
        h = np.transpose(raw, (2, 1, 0))             # (ntx, nrx, 30)
        amp = np.abs(scaled[i, :, :nrx, 0])          # (30, 3)
        with np.errstate(divide="ignore"):
            db = 20 * np.log10(amp)
        db[np.isinf(db)] = 0
        features = db.T.reshape(-1)                  # f = 30*a + s
        frames.append({
            "source": rel, "index": i, "nrx": nrx, "ntx": ntx,
            "rssi": [int(d.rssi_a[i]), int(d.rssi_b[i]), int(d.rssi_c[i])],
            "noise": int(d.noise[i]), "agc": int(d.agc[i]),
            "real": [int(v) for v in h.real.reshape(-1)], "imag": [int(v) for v in h.imag.reshape(-1)],
            "features": [float(v) for v in features],
        })
        taken += 1

out = os.path.join(ROOT, "Tests/CSIFeaturesTests/Fixtures/intel5300-features.json")
with open(out, "w") as f:
    json.dump({"oracle": "csiread " + csiread.__version__, "frames": frames}, f, separators=(",", ":"))
print(f"wrote {len(frames)} frames to {out}", file=sys.stderr)
