"""Checks the committed engine fixtures (Tests/CSIInferenceTests/Fixtures) against an independent float64 NumPy
implementation of the contract in docs/model-format.md, written from the equations, reading tensors by name only.

This is what the Swift engine has to compute; it guards against the fixtures (and models.py) drifting from the
documented semantics (h_n[-1], gate orders, the conv encoder over steps-as-channels, the parallel concatenation).
"""
import glob
import hashlib
import json
import os
import unittest

import numpy as np
from safetensors.numpy import load_file
from safetensors import safe_open

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "Tests", "CSIInferenceTests", "Fixtures")
TOLERANCE = 1e-5   # per unit of magnitude: a difference is compared with TOLERANCE * max(1, max |reference|)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def recurrent_direction(cell, tensors, prefix, suffix, x, nonlinearity, h0=None, c0=None):
    """One direction of one layer: x (N, T, I) -> (outputs (N, T, H) in time order, final c) (reverse runs
    t = T-1 .. 0); initial state h0, c0 (N, H) or zeros."""
    w_ih, w_hh = tensors[f"{prefix}.weight_ih{suffix}"], tensors[f"{prefix}.weight_hh{suffix}"]
    b_ih, b_hh = tensors[f"{prefix}.bias_ih{suffix}"], tensors[f"{prefix}.bias_hh{suffix}"]
    hidden = w_hh.shape[1]
    n, steps, _ = x.shape
    h = np.zeros((n, hidden)) if h0 is None else h0
    c = np.zeros((n, hidden)) if c0 is None else c0
    out = np.zeros((n, steps, hidden))
    order = range(steps - 1, -1, -1) if suffix.endswith("_reverse") else range(steps)
    for t in order:
        gi = x[:, t] @ w_ih.T + b_ih                        # (N, gates*H)
        gh = h @ w_hh.T + b_hh                              # (N, gates*H)
        if cell == "gru":                                   # r, z, n
            r = sigmoid(gi[:, :hidden] + gh[:, :hidden])
            z = sigmoid(gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
            candidate = np.tanh(gi[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
            h = (1 - z) * candidate + z * h
        elif cell == "lstm":                                # i, f, g, o
            g = gi + gh
            i, f = sigmoid(g[:, :hidden]), sigmoid(g[:, hidden:2 * hidden])
            cand, o = np.tanh(g[:, 2 * hidden:3 * hidden]), sigmoid(g[:, 3 * hidden:])
            c = f * c + i * cand
            h = o * np.tanh(c)
        else:
            pre = gi + gh
            h = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)
        out[:, t] = h
    return out, c


def recurrent(cell, tensors, prefix, x, layers, bidirectional, nonlinearity="tanh", h0=None, c0=None):
    """Stacked (bi)directional layers: returns (last layer outputs (N, T, dirs*H), h_n[-1] (N, H), h_n, c_n);
    h0, c0 (layers*dirs, N, H) in PyTorch's order (layer-major, forward then backward) or None for zeros."""
    directions = 2 if bidirectional else 1
    h_n, c_n = [], []
    for layer in range(layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            out, c = recurrent_direction(cell, tensors, prefix, suffix, x, nonlinearity,
                                         None if h0 is None else h0[index], None if c0 is None else c0[index])
            outputs.append(out)
            h_n.append(out[:, 0] if direction else out[:, -1])   # the backward direction ends at t = 0
            c_n.append(c)
        x = np.concatenate(outputs, axis=2)
    return x, h_n[-1], np.stack(h_n), np.stack(c_n)


def conv1d(x, weight, bias, stride):
    """x (N, C_in, L), weight (C_out, C_in, k) -> (N, C_out, (L-k)//stride + 1)."""
    k = weight.shape[2]
    length = (x.shape[2] - k) // stride + 1
    out = np.empty((x.shape[0], weight.shape[0], length))
    for j in range(length):
        patch = x[:, :, j * stride:j * stride + k]          # (N, C_in, k)
        out[:, :, j] = np.einsum("nck,ock->no", patch, weight) + bias
    return out


def encoder(tensors, x):
    """Steps are the channels, features the length."""
    h = np.maximum(conv1d(x, tensors["encoder.0.weight"], tensors["encoder.0.bias"], 3), 0)
    h = np.maximum(conv1d(h, tensors["encoder.2.weight"], tensors["encoder.2.bias"], 2), 0)
    return conv1d(h, tensors["encoder.4.weight"], tensors["encoder.4.bias"], 1)


def reference_logits(config, tensors, x):
    """(logits (N, C), classifier input (N, fc inputs), {intermediate name: tensor}) in float64."""
    arch = config["architecture"]
    layers = config.get("num_layers", 1)
    bidirectional = config.get("bidirectional", arch in ("bilstm", "ablstm"))
    if arch in ("rnn", "gru", "lstm", "bilstm"):
        cell = "lstm" if arch == "bilstm" else arch
        _, last, _, _ = recurrent(cell, tensors, cell, x, layers, bidirectional, config.get("nonlinearity", "tanh"))
        return last @ tensors["fc.weight"].T + tensors["fc.bias"], last, {}
    if arch == "ablstm":
        h, _, _, _ = recurrent("lstm", tensors, "lstm", x, layers, True)           # (N, T, 2H)
        score = np.tanh(h @ tensors["attention.W.weight"].T + tensors["attention.W.bias"]) @ tensors[
            "attention.v.weight"][0]                                                 # (N, T)
        alpha = np.exp(score - score.max(1, keepdims=True))
        alpha /= alpha.sum(1, keepdims=True)
        context = np.einsum("nt,nth->nh", alpha, h)
        return context @ tensors["fc.weight"].T + tensors["fc.bias"], context, {"attention": alpha}
    encoded = encoder(tensors, x)
    if arch == "cnn-gru":
        _, last, _, _ = recurrent("gru", tensors, "gru", encoded, layers, bidirectional)
    else:
        _, from_cnn, _, _ = recurrent("gru", tensors, "cnn_gru", encoded, layers, bidirectional)
        _, from_raw, _, _ = recurrent("gru", tensors, "gru", x, layers, bidirectional)
        last = np.concatenate([from_cnn, from_raw], axis=1)
    return (last @ tensors["classifier.1.weight"].T + tensors["classifier.1.bias"], last,
            {"encoder_output": encoded})


def load(path):
    with safe_open(path, "np") as f:
        metadata = f.metadata() or {}
    return {k: v.astype(np.float64) for k, v in load_file(path).items()}, metadata


class EngineFixtureTests(unittest.TestCase):
    def test_fixtures_match_numpy_reference(self):
        goldens = sorted(glob.glob(os.path.join(FIXTURES, "*.golden.safetensors")))
        if not goldens:
            self.skipTest(f"no fixtures in {FIXTURES}: run training/fixtures/make_engine_fixtures.py")
        for golden_path in goldens:
            golden, metadata = load(golden_path)
            model_path = os.path.join(FIXTURES if not metadata["model"].startswith("models/") else REPO,
                                      metadata["model"])
            with self.subTest(case=metadata["case"]):
                if "model_sha256" in metadata:
                    digest = hashlib.sha256(open(model_path, "rb").read()).hexdigest()
                    self.assertEqual(digest, metadata["model_sha256"],
                                     f"{metadata['model']} changed since {os.path.basename(golden_path)} was written: "
                                     "rerun training/fixtures/make_engine_fixtures.py")
                tensors, model_metadata = load(model_path)
                config = json.loads(model_metadata["csihar"])
                logits, classifier_input, extras = reference_logits(config, tensors, golden["input"])
                diff = float(np.abs(logits - golden["logits"]).max())
                diff_input = float(np.abs(classifier_input - golden["classifier_input"]).max())
                # float32 rounding grows with the values: logits of a confident model reach 10-20
                scale = max(1.0, float(np.abs(golden["logits"]).max()))
                print(f"{metadata['case']:34s} logits maxdiff {diff:.2e} (tolerance {TOLERANCE * scale:.1e})  "
                      f"classifier input maxdiff {diff_input:.2e}")
                self.assertEqual(logits.shape, golden["logits"].shape)
                self.assertLess(diff, TOLERANCE * scale)
                self.assertLess(diff_input, TOLERANCE)
                for name, value in extras.items():
                    if name in golden:
                        self.assertLess(float(np.abs(value - golden[name]).max()), TOLERANCE, name)

    def test_layer_fixtures_with_initial_state(self):
        paths = sorted(glob.glob(os.path.join(FIXTURES, "layer-*.safetensors")))
        if not paths:
            self.skipTest(f"no layer fixtures in {FIXTURES}: run training/fixtures/make_engine_fixtures.py")
        for path in paths:
            tensors, metadata = load(path)
            cell = metadata["cell"]
            with self.subTest(case=metadata["case"]):
                output, _, h_n, c_n = recurrent(cell, tensors, cell, tensors["input"], int(metadata["num_layers"]),
                                                metadata["bidirectional"] == "true", metadata["nonlinearity"],
                                                tensors["h0"], tensors.get("c0"))
                diffs = {"output": float(np.abs(output - tensors["output"]).max()),
                         "h_n": float(np.abs(h_n - tensors["h_n"]).max())}
                if cell == "lstm":
                    diffs["c_n"] = float(np.abs(c_n - tensors["c_n"]).max())
                print(f"{metadata['case']:34s} " + "  ".join(f"{k} maxdiff {v:.2e}" for k, v in diffs.items()))
                for name, diff in diffs.items():
                    self.assertLess(diff, TOLERANCE, name)


if __name__ == "__main__":
    unittest.main()
