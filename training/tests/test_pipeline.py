"""Unit tests of the training pipeline on small synthetic exports (python -m unittest discover -s tests)."""
import json
import os
import tempfile
import unittest

import numpy as np

from csihar_train import data, metrics, train


def write_export(folder, groups=("a", "b"), classes=3, trials=5, windows=4, steps=12, features=6, seed=0):
    """A synthetic export: class c has a sine of frequency c+1 on feature c, plus noise and a per-group offset."""
    rng = np.random.default_rng(seed)
    X, y, rec, recordings = [], [], [], []
    t = np.arange(steps)[:, None]
    for g, group in enumerate(groups):
        for c in range(classes):
            for trial in range(1, trials + 1):
                rid = len(recordings)
                recordings.append({"id": rid, "path": f"/nonexistent/{group}/csi_a{c + 1}_{trial}.dat",
                                   "label": f"class {c}", "trial": trial, "group": group})
                for _ in range(windows):
                    window = rng.normal(0, 0.3, (steps, features)) + 5 * g
                    window[:, c] += 2 * np.sin((c + 1) * t[:, 0] * 0.5)
                    X.append(window); y.append(c); rec.append(rid)
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "X.npy"), np.array(X, dtype=np.float32))
    np.save(os.path.join(folder, "y.npy"), np.array(y, dtype=np.int64))
    np.save(os.path.join(folder, "recording.npy"), np.array(rec, dtype=np.int32))
    meta = {"labels": [f"class {c}" for c in range(classes)], "hop_steps": 3, "recordings": recordings,
            "input": {"steps": steps, "features": features, "sample_rate_hz": 10, "layout": "3x30",
                      "transform": "amplitude-db"}}
    json.dump(meta, open(os.path.join(folder, "meta.json"), "w"))
    return folder


class DataTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.export = data.load_export(write_export(os.path.join(self.tmp.name, "e")))

    def tearDown(self):
        self.tmp.cleanup()

    def test_trial_split_is_by_recording_stratified_and_seeded(self):
        split = data.split_by_trial(self.export, seed=3)
        sets = [set(split[k]) for k in ("train", "validation", "test")]
        self.assertFalse(sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
        self.assertEqual(sum(len(s) for s in sets), len(self.export.recordings))
        # every (group, label) cell has exactly one test and one validation recording out of 5
        for key in ("test", "validation"):
            cells = [(self.export.recordings[i]["group"], self.export.recordings[i]["label"]) for i in split[key]]
            self.assertEqual(len(cells), len(set(cells)))
            self.assertEqual(len(cells), 6)
        self.assertEqual(split, data.split_by_trial(self.export, seed=3))
        self.assertNotEqual(split, data.split_by_trial(self.export, seed=4))
        # no window of a test recording is in the training windows
        train_windows = data.window_indices(self.export, split["train"])
        self.assertFalse(set(self.export.recording[train_windows]) & sets[2])

    def test_group_split_holds_out_the_group(self):
        split = data.split_by_group(self.export, ["a"], ["b"], seed=0)
        groups = {k: {self.export.recordings[i]["group"] for i in v} for k, v in split.items()}
        self.assertEqual(groups, {"train": {"a"}, "validation": {"a"}, "test": {"b"}})
        self.assertEqual(len(split["test"]), 15)

    def test_field_split(self):
        split = data.split_by_field(self.export, "group", {"b"}, seed=0)
        self.assertEqual({self.export.recordings[i]["group"] for i in split["test"]}, {"b"})
        self.assertEqual(len(split["train"]) + len(split["validation"]), 15)

    def test_random_split_and_segments(self):
        split = data.split_random(self.export, seed=1)
        self.assertEqual(sorted(split["train"] + split["validation"] + split["test"]), list(range(30)))
        self.assertEqual((len(split["validation"]), len(split["test"])), (6, 6))
        segment = data.segments(self.export)
        self.assertEqual(len(np.unique(segment)), 30)            # one label per recording here
        self.export.y[1] = 2                                      # a label change inside recording 0
        self.assertEqual(data.segments(self.export)[:5].tolist(), [0, 1, 2, 2, 3])

    def test_window_stride_keeps_every_nth_window_of_each_recording(self):
        index = data.window_indices(self.export, [0, 1], stride=2)
        self.assertEqual(index.tolist(), [0, 2, 4, 6])

    def test_normalization_uses_only_the_given_windows(self):
        index = data.window_indices(self.export, data.split_by_trial(self.export, 0)["train"])
        spec = data.standard_normalization(self.export.X, index, chunk=7)
        values = np.asarray(self.export.X[np.sort(index)], dtype=np.float64).reshape(-1, 6)
        maxdiff = max(np.abs(np.array(spec["mean"]) - values.mean(0)).max(),
                      np.abs(np.array(spec["std"]) - values.std(0)).max())
        print(f"normalization maxdiff {maxdiff:.2e}")
        self.assertLess(maxdiff, 1e-9)
        normalised = data.normalize(values.astype(np.float32), spec)
        self.assertLess(np.abs(normalised.mean(0)).max(), 1e-4)

    def test_window_centered_normalization_removes_each_windows_level(self):
        index = data.window_indices(self.export, data.split_by_trial(self.export, 0)["train"])
        spec = data.window_centered_normalization(self.export.X, index, chunk=7)
        self.assertEqual(spec["kind"], "window-centered")
        windows = np.asarray(self.export.X[np.sort(index)], dtype=np.float64)
        centred = windows - windows.mean(axis=1, keepdims=True)
        maxdiff = np.abs(np.array(spec["std"]) - np.sqrt((centred ** 2).reshape(-1, 6).mean(0))).max()
        normalised = data.normalize(windows.astype(np.float32), spec)
        shifted = data.normalize((windows + np.arange(6) * 7.5).astype(np.float32), spec)   # another room's level
        level = np.abs(shifted - normalised).max()
        print(f"window-centered std maxdiff {maxdiff:.2e}, level-offset maxdiff {level:.2e}")
        self.assertLess(maxdiff, 1e-9)
        self.assertLess(np.abs(normalised.mean(axis=1)).max(), 1e-4)
        self.assertLess(level, 1e-4)

    def test_bad_export_is_reported_with_the_file(self):
        folder = os.path.join(self.tmp.name, "e")
        np.save(os.path.join(folder, "y.npy"), np.zeros(3, dtype=np.int64))
        with self.assertRaisesRegex(ValueError, "lengths differ"):
            data.load_export(folder)


class MetricsTests(unittest.TestCase):
    def test_hand_computed_example(self):
        # 3 recordings: r0 (class 0) windows predict 0,0,1 -> mean favours 0; r1 (class 1) predicts 0,0 -> wrong;
        # r2 (class 1) predicts 1.
        p = np.array([[.9, .1], [.8, .2], [.4, .6], [.7, .3], [.6, .4], [.2, .8]])
        y = np.array([0, 0, 0, 1, 1, 1])
        rec = np.array([0, 0, 0, 1, 1, 2])
        r = metrics.report(p, y, rec, ["x", "y"])
        self.assertEqual(r["recordings"], 3)
        self.assertAlmostEqual(r["window_accuracy"], 3 / 6)
        self.assertAlmostEqual(r["accuracy"], 2 / 3)
        self.assertEqual(r["confusion"], [[1, 0], [1, 1]])
        self.assertAlmostEqual(r["balanced_accuracy"], (1 + 0.5) / 2)
        self.assertEqual(r["per_class_recall"], {"x": 1.0, "y": 0.5})


class TrainTests(unittest.TestCase):
    def test_trains_exports_and_reports(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_export(os.path.join(tmp, "e"), groups=("a",), trials=10, windows=6)
            out, report = os.path.join(tmp, "m.safetensors"), os.path.join(tmp, "r.json")
            test = train.main(["--data", folder, "--arch", "gru", "--hidden", "8", "--name", "t", "--epochs", "25",
                               "--patience", "25", "--lr", "0.02", "--out", out, "--report", report,
                               "--threads", "1"])
            self.assertGreater(test["window_accuracy"], 0.8)
            from safetensors import safe_open
            with safe_open(out, "pt") as f:
                config = json.loads(f.metadata()["csihar"])
                self.assertTrue(any(k.startswith("fc.") for k in f.keys()))
            self.assertEqual(config["labels"], ["class 0", "class 1", "class 2"])
            self.assertEqual(config["input"]["normalization"]["kind"], "standard")
            self.assertEqual(len(config["input"]["normalization"]["mean"]), 6)
            self.assertEqual(config["training"]["recordings"], {"train": 18, "validation": 6, "test": 6})
            saved = json.load(open(report))
            self.assertEqual(len(saved["split"]["test"]), 6)

    def test_offset_scale_and_noise_augmentation_train(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_export(os.path.join(tmp, "e"), groups=("a",), trials=10, windows=6)
            test = train.main(["--data", folder, "--arch", "gru", "--hidden", "8", "--name", "t", "--epochs", "25",
                               "--patience", "25", "--lr", "0.02", "--offset-augment", "0.3", "--scale-augment", "0.2",
                               "--noise", "0.1", "--threads", "1"])
            self.assertGreater(test["window_accuracy"], 0.8)

    def test_cosine_schedule_falls_from_the_base_rate_to_zero(self):
        self.assertEqual(train.learning_rate(3e-3, "constant", 0.7), 3e-3)
        self.assertAlmostEqual(train.learning_rate(3e-3, "cosine", 0.0), 3e-3)
        self.assertAlmostEqual(train.learning_rate(3e-3, "cosine", 0.5), 1.5e-3)
        self.assertAlmostEqual(train.learning_rate(3e-3, "cosine", 1.0), 0.0)
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_export(os.path.join(tmp, "e"), groups=("a",), trials=10, windows=6)
            test = train.main(["--data", folder, "--arch", "gru", "--hidden", "8", "--name", "t", "--epochs", "25",
                               "--patience", "25", "--lr", "0.03", "--lr-schedule", "cosine", "--threads", "1"])
            self.assertGreater(test["window_accuracy"], 0.8)


if __name__ == "__main__":
    unittest.main()
