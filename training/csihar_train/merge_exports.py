"""Joins dataset exports made with the same input declaration into one (e.g. 3-chain and `--max-chains 2` exports
of different simulated rooms), so that one training run sees both.

    python -m csihar_train.merge_exports OUT EXPORT [EXPORT ...]

Labels, input declaration and hop must be equal; recording ids are renumbered in order; `meta.json` lists the
source exports under `merged_from`.
"""
import json
import os
import sys

import numpy as np

from . import data


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        raise SystemExit("usage: python -m csihar_train.merge_exports OUT EXPORT [EXPORT ...]")
    out, sources = args[0], [data.load_export(p) for p in args[1:]]
    first = sources[0]
    for s in sources[1:]:
        if s.labels != first.labels or s.input != first.input or s.meta.get("hop_steps") != first.meta.get("hop_steps"):
            raise SystemExit(f"{s.path}: labels, input or hop differ from {first.path}")
    os.makedirs(out, exist_ok=True)
    X = np.lib.format.open_memmap(os.path.join(out, "X.npy"), mode="w+", dtype=np.float32,
                                  shape=(sum(len(s.y) for s in sources),) + first.X.shape[1:])
    ys, recs, recordings, offset, row = [], [], [], 0, 0
    for s in sources:
        X[row:row + len(s.y)] = s.X
        row += len(s.y)
        mapping = {}
        for r in s.recordings:
            mapping[r["id"]] = offset + len(mapping)
            recordings.append(dict(r, id=mapping[r["id"]]))
        offset += len(mapping)
        ys.append(s.y)
        recs.append(np.vectorize(mapping.get, otypes=[np.int64])(s.recording) if len(s.recording) else s.recording)
    X.flush()
    np.save(os.path.join(out, "y.npy"), np.concatenate(ys).astype(np.int64))
    np.save(os.path.join(out, "recording.npy"), np.concatenate(recs).astype(np.int32))
    meta = dict(first.meta, recordings=recordings, merged_from=[os.path.abspath(s.path) for s in sources])
    json.dump(meta, open(os.path.join(out, "meta.json"), "w"), indent=1)
    print(f"{out}: {row} windows from {len(recordings)} recordings of {len(sources)} exports")


if __name__ == "__main__":
    main()
