"""Datasets in the `csihar dataset export` format and splits by recording.

Export layout (written by `csihar dataset export`, the daemon's own feature/resample/window code):
    X.npy          float32 (N, steps, features), un-normalised
    y.npy          int64   (N,)  class index into meta["labels"]
    recording.npy  int32   (N,)  index into meta["recordings"]
    meta.json      {"labels", "input": {...}, "hop_steps", "recordings": [{"id","path","label","trial","group"}]}

Splits are always by recording (a trial file), never by window: overlapping windows of one recording would
otherwise land on both sides and the accuracy would mean nothing.
"""
import dataclasses
import hashlib
import json
import os

import numpy as np


@dataclasses.dataclass
class Export:
    """One exported dataset."""
    X: np.ndarray           # (N, steps, features) float32, un-normalised
    y: np.ndarray           # (N,) int64
    recording: np.ndarray   # (N,) int32, index into recordings
    labels: list
    input: dict
    recordings: list        # [{"id", "path", "label", "trial", "group"}]
    meta: dict
    path: str

    @property
    def recording_ids(self):
        return np.array([r["id"] for r in self.recordings], dtype=np.int64)


def load_export(path, mmap=True):
    """Reads an export folder; checks shapes and cross-references and raises ValueError naming the file."""
    meta = json.load(open(os.path.join(path, "meta.json")))
    X = np.load(os.path.join(path, "X.npy"), mmap_mode="r" if mmap else None)
    y = np.load(os.path.join(path, "y.npy")).astype(np.int64)
    recording = np.load(os.path.join(path, "recording.npy")).astype(np.int64)
    if X.ndim != 3:
        raise ValueError(f"{path}/X.npy: expected (N, steps, features), got shape {X.shape}")
    if not (len(X) == len(y) == len(recording)):
        raise ValueError(f"{path}: X, y, recording lengths differ ({len(X)}, {len(y)}, {len(recording)})")
    for key in ("labels", "input", "recordings"):
        if key not in meta:
            raise ValueError(f"{path}/meta.json: missing field '{key}'")
    steps, features = meta["input"].get("steps"), meta["input"].get("features")
    if (steps, features) != X.shape[1:]:
        raise ValueError(f"{path}/meta.json: input.steps/features {steps}x{features} != X.npy {X.shape[1:]}")
    ids = {r["id"] for r in meta["recordings"]}
    if len(y) and not set(np.unique(recording).tolist()) <= ids:
        raise ValueError(f"{path}/recording.npy: refers to recordings missing from meta.json")
    if len(y) and (y.min() < 0 or y.max() >= len(meta["labels"])):
        raise ValueError(f"{path}/y.npy: class index outside 0..{len(meta['labels']) - 1}")
    return Export(X, y, recording, list(meta["labels"]), dict(meta["input"]), list(meta["recordings"]), meta, path)


def duplicate_recordings(export):
    """Ids of recordings whose file is byte-identical to an earlier one (WiAR's walk files repeat across the
    three distance folders: count them once). Recordings whose path is not readable are kept."""
    seen, duplicates = {}, set()
    for r in export.recordings:
        path = r.get("path")
        if not path or not os.path.isfile(path):
            continue
        digest = hashlib.sha1(open(path, "rb").read()).hexdigest()
        if digest in seen:
            duplicates.add(r["id"])
        else:
            seen[digest] = r["id"]
    return duplicates


def split_by_trial(export, seed, validation_fraction=0.2, test_fraction=0.2, exclude=(), groups=None):
    """Held-out trials of the same settings: within every (group, label) the recordings are shuffled with `seed`
    and cut into test / validation / train. Returns {"train", "validation", "test"} -> sorted recording ids."""
    rng = np.random.default_rng(seed)
    cells = {}
    for r in export.recordings:
        if r["id"] in exclude or (groups is not None and r.get("group") not in groups):
            continue
        cells.setdefault((r.get("group", ""), r["label"]), []).append(r["id"])
    split = {"train": [], "validation": [], "test": []}
    for key in sorted(cells, key=str):
        ids = sorted(cells[key])
        rng.shuffle(ids)
        n_test = int(round(len(ids) * test_fraction))
        n_val = int(round(len(ids) * validation_fraction))
        if len(ids) >= 3:
            n_test, n_val = max(1, n_test), max(1, n_val)
        split["test"] += ids[:n_test]
        split["validation"] += ids[n_test:n_test + n_val]
        split["train"] += ids[n_test + n_val:]
    return {k: sorted(v) for k, v in split.items()}


def split_by_group(export, train_groups, test_groups, seed, validation_fraction=0.2, exclude=()):
    """Cross-setting: train/validation from `train_groups` (validation = held-out trials of those), test = every
    recording of `test_groups`."""
    inner = split_by_trial(export, seed, validation_fraction, 0.0, exclude, groups=set(train_groups))
    test = sorted(r["id"] for r in export.recordings if r.get("group") in set(test_groups) and r["id"] not in exclude)
    return {"train": inner["train"], "validation": inner["validation"], "test": test}


def split_by_field(export, field, values, seed, validation_fraction=0.2, exclude=()):
    """Split by a recording field (e.g. `room` of simulated recordings): recordings whose `field` is in `values` are
    the test set; the rest are split into train/validation by recording with `seed`."""
    rng = np.random.default_rng(seed)
    test, rest = [], []
    for r in export.recordings:
        if r["id"] in exclude:
            continue
        (test if r.get(field) in values else rest).append(r["id"])
    rest = sorted(rest)
    rng.shuffle(rest)
    n_val = int(round(len(rest) * validation_fraction))
    return {"train": sorted(rest[n_val:]), "validation": sorted(rest[:n_val]), "test": sorted(test)}


def split_random(export, seed, validation_fraction=0.2, test_fraction=0.2, exclude=()):
    """Recordings shuffled with `seed` and cut into test / validation / train (simulated recordings: one random
    room each, so a held-out recording is an unseen room)."""
    rng = np.random.default_rng(seed)
    ids = sorted(r["id"] for r in export.recordings if r["id"] not in exclude)
    rng.shuffle(ids)
    n_test, n_val = int(round(len(ids) * test_fraction)), int(round(len(ids) * validation_fraction))
    return {"test": sorted(ids[:n_test]), "validation": sorted(ids[n_test:n_test + n_val]),
            "train": sorted(ids[n_test + n_val:])}


def segments(export):
    """(N,) segment id per window: a run of consecutive windows of one recording with one label. For single-label
    recordings (WiAR) a segment is the recording; for captures with label sidecars it is one labelled activity."""
    change = np.ones(len(export.y), dtype=bool)
    change[1:] = (export.recording[1:] != export.recording[:-1]) | (export.y[1:] != export.y[:-1])
    return np.cumsum(change) - 1


def window_indices(export, recording_ids, stride=1):
    """Indices of the windows of `recording_ids`; `stride` > 1 keeps every stride-th window of each recording."""
    mask = np.isin(export.recording, np.asarray(recording_ids, dtype=np.int64))
    index = np.nonzero(mask)[0]
    if stride > 1 and len(index):
        order = np.zeros(len(index), dtype=np.int64)
        recs = export.recording[index]
        for rid in np.unique(recs):                 # position of each window inside its recording
            where = np.nonzero(recs == rid)[0]
            order[where] = np.arange(len(where))
        index = index[order % stride == 0]
    return index


def standard_normalization(X, index, chunk=2048):
    """Per-feature mean and standard deviation over the windows `index` (training split only), float64 sums."""
    features = X.shape[2]
    total, total_sq, count = np.zeros(features), np.zeros(features), 0
    for start in range(0, len(index), chunk):
        block = np.asarray(X[np.sort(index[start:start + chunk])], dtype=np.float64).reshape(-1, features)
        total += block.sum(0)
        total_sq += (block * block).sum(0)
        count += len(block)
    mean = total / max(count, 1)
    std = np.sqrt(np.maximum(total_sq / max(count, 1) - mean * mean, 0))
    std = np.where(std > 1e-6, std, 1.0)           # a constant feature passes through unscaled
    return {"kind": "standard", "mean": [float(v) for v in mean], "std": [float(v) for v in std]}


def window_centered_normalization(X, index, chunk=2048):
    """`window-centered` spec: per-feature standard deviation, over the windows `index` (training split only), of
    the values minus their window's per-feature mean (the room's static level removed), float64 sums."""
    features = X.shape[2]
    total_sq, count = np.zeros(features), 0
    for start in range(0, len(index), chunk):
        block = np.asarray(X[np.sort(index[start:start + chunk])], dtype=np.float64)
        block = block - block.mean(axis=1, keepdims=True)
        total_sq += (block * block).reshape(-1, features).sum(0)
        count += block.shape[0] * block.shape[1]
    std = np.sqrt(total_sq / max(count, 1))
    std = np.where(std > 1e-6, std, 1.0)           # a constant feature passes through unscaled
    return {"kind": "window-centered", "std": [float(v) for v in std]}


def normalize(block, normalization):
    """Applies a normalisation spec to (..., features) float32 values (as the Swift Normalizer does); for
    `window-centered` the block is (..., steps, features) and each window's per-feature mean over its steps
    (summed in float64, rounded to float32) is subtracted first."""
    if normalization["kind"] == "window-centered":
        block = np.asarray(block, dtype=np.float32)
        mean = block.astype(np.float64).mean(axis=-2, keepdims=True).astype(np.float32)
        std = np.asarray(normalization["std"], dtype=np.float32)
        return ((block - mean) * (np.float32(1) / std)).astype(np.float32)
    if normalization["kind"] == "standard":
        mean = np.asarray(normalization["mean"], dtype=np.float32)
        std = np.asarray(normalization["std"], dtype=np.float32)
        return ((block - mean) * (np.float32(1) / std)).astype(np.float32)
    if normalization["kind"] == "minmax":
        low, high = np.float32(normalization["min"]), np.float32(normalization["max"])
        return ((block - low) * (np.float32(1) / (high - low))).astype(np.float32)
    return np.asarray(block, dtype=np.float32)
