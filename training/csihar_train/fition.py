"""Label sidecars for the Fition dataset (real Raspberry Pi Nexmon CSI, ../shared/data/fition), without copying it.

    python -m csihar_train.fition --fition ../shared/data/fition --out ../.build/datasets/fition --users 1,3

Fition labels a whole 10 s recording with one activity, but a fall or a sit-down takes 1-4 s somewhere inside it,
with stillness around it. Two views are written, each a folder of symbolic links to the original pcaps plus
`<name>.labels.csv` sidecars (start,end,activity; seconds from the first frame):

  OUT/train/  the movement located in time, for training windows: the span of the activity's typical length
              (fall 2 s, sit down / stand up 3 s, get into bed 4 s) where the recording moves most, idle before
              and after; walking = walk throughout; no movement (nm) = idle throughout.
  OUT/whole/  the dataset's own label over the whole recording, for scoring as the dataset defines it
              (a fall reported in a fall recording; a fall in any other recording is a false fall).

Motion is measured from the amplitudes alone (the transmitter that sent most frames; each frame divided by its RMS;
spread over 0.5 s, averaged over subcarriers, minus the recording's quiet level). Activity names map onto the
daemon's classes: falling -> fall, walking -> walk, sitdown -> sit down, standup -> stand up,
getintobed -> lie down, nm -> idle.
"""
import argparse
import glob
import os
import re

import csiread
import numpy as np

ACTIVITIES = {"falling": "fall", "walking": "walk", "sitdown": "sit down", "standup": "stand up",
              "getintobed": "lie down", "nm": "idle"}
SPAN_SECONDS = {"fall": 2.0, "sit down": 3.0, "stand up": 3.0, "lie down": 4.0}
NAME = re.compile(r"(?P<activity>[a-z]+)_user(?P<user>\d+)_rm(?P<room>\d+)_(?P<trial>\d+)\.pcap$")


def motion_profile(path, step=0.1, spread=0.5):
    """(times, motion) of one recording: a value every `step` s."""
    d = csiread.Nexmon(path, chip="43455c0", bw=80, if_report=False)
    d.read()
    source = np.array([str(s) for s in d.src_addr])
    values, counts = np.unique(source, return_counts=True)
    keep = source == values[counts.argmax()]
    t = (d.sec + d.usec * 1e-6).astype(np.float64)
    t = t - t[0]
    t = t[keep]
    a = np.abs(d.csi[keep]).astype(np.float64)
    a = a[:, a.mean(axis=0) > 0.2 * a.mean()]                      # guard and null subcarriers out
    a = a / np.sqrt((a ** 2).mean(axis=1, keepdims=True))
    times = np.arange(0, t[-1], step)
    motion = np.array([a[(t >= s - spread / 2) & (t < s + spread / 2)].std(axis=0).mean()
                       if ((t >= s - spread / 2) & (t < s + spread / 2)).sum() > 3 else 0.0 for s in times])
    return times, np.maximum(motion - np.percentile(motion, 20), 0), t[-1]


def locate(times, motion, span):
    """Start of the `span`-long stretch holding the most motion."""
    step = times[1] - times[0]
    width = max(1, int(round(span / step)))
    sums = np.convolve(motion, np.ones(width), mode="valid")
    return times[int(np.argmax(sums))]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fition", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--users", default="1,3", help="comma list of user numbers to include")
    args = p.parse_args(argv)
    users = set(args.users.split(","))
    for view in ("train", "whole"):
        os.makedirs(os.path.join(args.out, view), exist_ok=True)
    count = 0
    for path in sorted(glob.glob(os.path.join(args.fition, "*", "*.pcap"))):
        m = NAME.search(os.path.basename(path))
        if not m or m["user"] not in users or m["activity"] not in ACTIVITIES:
            continue
        label = ACTIVITIES[m["activity"]]
        times, motion, end = motion_profile(path)
        end = round(float(end), 3)
        if label in SPAN_SECONDS:
            span = SPAN_SECONDS[label]
            start = min(max(0.0, float(locate(times, motion, span))), max(0.0, end - span))
            rows = [(0.0, start, "idle"), (start, start + span, label), (start + span, end, "idle")]
        else:
            rows = [(0.0, end, label)]
        base = os.path.splitext(os.path.basename(path))[0]
        for view, table in (("train", rows), ("whole", [(0.0, end, label)])):
            link = os.path.join(args.out, view, base + ".pcap")
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(os.path.abspath(path), link)
            with open(os.path.join(args.out, view, base + ".labels.csv"), "w") as f:
                f.write("start,end,activity\n")
                for a, b, name in table:
                    if b - a > 1e-3:
                        f.write(f"{a:.3f},{b:.3f},{name}\n")
        count += 1
    print(f"{count} Fition recordings (users {args.users}) -> {args.out}/train and {args.out}/whole")


if __name__ == "__main__":
    main()
