"""A Python mirror of the daemon's Intel 5300 feature path, for prototyping only.

The shipped models are trained on `csihar dataset export` output (the daemon's own Swift feature, resampling and
window code). Until that command existed, this module produced the same export format from WiAR folders with
csiread: |H| of get_scaled_csi, transmit stream 0, 20 log10 (-inf -> 0), zero-order hold on the capture
timestamps at `rate` Hz with 2 points per step, windows of `steps` every `hop` steps.

    python -m csihar_train.wiar_mirror OUT DIR [DIR ...] --rate 30 --steps 90 --hop 15
"""
import argparse
import glob
import hashlib
import json
import os
import re

import numpy as np

WIAR_LABELS = ["horizontal arm wave", "high arm wave", "two hands wave", "high throw", "draw x", "draw tick",
               "toss paper", "forward kick", "side kick", "bend", "hand clap", "walk", "phone call",
               "drink water", "sit down", "squat"]
FILE_PATTERN = re.compile(r"csi_a(\d+)_(\d+)\.dat$")


def amplitude_db(path):
    """(frames, 90) float32 amplitude in dB and (frames,) timestamps in seconds."""
    import csiread
    data = csiread.Intel(path, nrxnum=3, ntxnum=3, if_report=False)
    data.read()
    csi = data.get_scaled_csi()                   # (frames, 30, nrx, ntx) complex
    magnitude = np.abs(csi[:, :, :3, 0])           # (frames, 30, 3)
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(magnitude)
    db[~np.isfinite(db)] = 0
    features = db.transpose(0, 2, 1).reshape(len(db), 90)   # feature f = 30 * antenna + s
    low = data.timestamp_low.astype(np.int64)
    wraps = np.concatenate([[0], np.cumsum(np.diff(low) < -(1 << 31))])   # 32-bit microsecond counter wraps
    return features.astype(np.float32), (low + (wraps << 32)) * 1e-6


def resample(features, times, rate, points=2):
    """Zero-order hold at `points` instants per step, averaged; (steps, 90)."""
    keep = np.concatenate([[True], times[1:] > np.maximum.accumulate(times)[:-1]])   # drop repeats, out-of-order
    features, times = features[keep], times[keep]
    origin = times[0]
    instants = origin + np.arange(int((times[-1] - origin) * rate * points) + 1) / (rate * points)
    index = np.searchsorted(times, instants + 1e-9, side="right") - 1
    held = features[index]
    steps = len(held) // points
    return held[: steps * points].reshape(steps, points, -1).mean(axis=1)


def windows(series, steps, hop):
    """Windows of `steps` rows every `hop` rows, (n, steps, 90)."""
    starts = range(0, len(series) - steps + 1, hop)
    return np.stack([series[s:s + steps] for s in starts]) if len(series) >= steps else np.zeros((0, steps, 90))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--rate", type=float, default=30)
    parser.add_argument("--steps", type=int, default=90)
    parser.add_argument("--hop", type=int, default=15)
    args = parser.parse_args()
    xs, ys, recs, recordings, seen = [], [], [], [], set()
    for directory in args.dirs:
        for path in sorted(glob.glob(os.path.join(directory, "csi_a*_*.dat"))):
            match = FILE_PATTERN.search(path)
            digest = hashlib.sha1(open(path, "rb").read()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            activity, trial = int(match.group(1)), int(match.group(2))
            features, times = amplitude_db(path)
            w = windows(resample(features, times, args.rate), args.steps, args.hop)
            rid = len(recordings)
            recordings.append({"id": rid, "path": os.path.abspath(path), "label": activity - 1, "trial": trial,
                               "group": os.path.basename(os.path.normpath(directory))})
            xs.append(w.astype(np.float32)); ys += [activity - 1] * len(w); recs += [rid] * len(w)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "X.npy"), np.concatenate(xs))
    np.save(os.path.join(args.out, "y.npy"), np.array(ys, dtype=np.int64))
    np.save(os.path.join(args.out, "recording.npy"), np.array(recs, dtype=np.int32))
    meta = {"labels": WIAR_LABELS, "input": {"steps": args.steps, "features": 90, "sample_rate_hz": args.rate,
                                             "layout": "3x30", "transform": "amplitude-db"},
            "hop_steps": args.hop, "recordings": recordings, "source": "wiar_mirror.py (Python prototype)"}
    json.dump(meta, open(os.path.join(args.out, "meta.json"), "w"), indent=1)
    print(f"{len(recordings)} recordings, {len(ys)} windows -> {args.out}")


if __name__ == "__main__":
    main()
