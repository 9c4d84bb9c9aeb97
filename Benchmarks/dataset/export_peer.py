#!/usr/bin/env python3
"""Python peer of `csihar dataset export --format wiar` for BENCHMARKS.md: csiread decode + get_scaled_csi,
NumPy amplitude-db, zero-order-hold resampling (2 points per step) and windows, then X.npy/y.npy.
Usage: dataset_export_peer.py DIR OUT [rate steps hop_steps]"""
import glob, os, sys, time
import numpy as np
import csiread

src, out = sys.argv[1], sys.argv[2]
rate, steps, hop = (float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) > 5 else (25.0, 50, 6)
start = time.time()
xs, ys = [], []
for path in sorted(glob.glob(os.path.join(src, "**", "csi_a*_*.dat"), recursive=True)):
    activity = int(os.path.basename(path)[5:].split("_")[0]) - 1
    d = csiread.Intel(path, nrxnum=3, ntxnum=3, pl_size=0, if_report=False)
    d.read()
    keep = d.Nrx == 3
    if keep.sum() < 2:
        continue
    ts = d.timestamp_low[keep].astype(np.float64) * 1e-6
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(np.abs(d.get_scaled_csi()[keep][:, :, :3, 0]))
    db[np.isinf(db)] = 0
    feats = np.transpose(db, (0, 2, 1)).reshape(len(ts), 90)
    order = np.concatenate([[True], np.diff(ts) > 0])           # drop repeated/older timestamps
    ts, feats = ts[order], feats[order]
    count = int(np.floor((ts[-1] + 1e-9 - ts[0]) * rate * 2)) + 1
    count -= count % 2
    inst = ts[0] + np.arange(count) / (rate * 2)
    stepv = feats[np.searchsorted(ts, inst + 1e-9, side="right") - 1].reshape(-1, 2, 90).mean(1)
    for e in range(steps - 1, len(stepv), hop):
        xs.append(stepv[e - steps + 1:e + 1].astype(np.float32))
        ys.append(activity)
os.makedirs(out, exist_ok=True)
np.save(os.path.join(out, "X.npy"), np.stack(xs))
np.save(os.path.join(out, "y.npy"), np.array(ys, dtype=np.int64))
print(f"{len(xs)} windows in {time.time() - start:.2f} s")
