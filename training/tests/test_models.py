"""Unit tests of csihar_train.models (python -m unittest discover -s tests, from training/)."""
import glob
import json
import os
import tempfile
import unittest

import torch
from torch import nn

from csihar_train import models

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_config(architecture, hidden=8, layers=1, bidirectional=None, steps=20, features=50, classes=3, **extra):
    config = {"format_version": 1, "name": f"test-{architecture}", "architecture": architecture,
              "hidden_size": hidden, "num_layers": layers, "classes": classes,
              "labels": [f"c{i}" for i in range(classes)],
              "input": {"steps": steps, "features": features, "sample_rate_hz": 100, "layout": "3x30",
                        "transform": "amplitude-db", "normalization": {"kind": "minmax", "min": 0.0, "max": 1.0}}}
    if bidirectional is not None:
        config["bidirectional"] = bidirectional
    if architecture == "ablstm":
        config["attention_size"] = 6
    config.update(extra)
    return config


def recurrent_names(prefix, layers, bidirectional):
    names = []
    for layer in range(layers):
        for suffix in [""] + (["_reverse"] if bidirectional else []):
            names += [f"{prefix}.{kind}_l{layer}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    return names


def reference_gru_logits(config, module, x):
    """h_n[-1] of a hand-written GRU (PyTorch's equations, gate order r, z, n) through `fc`, layer 1, one direction."""
    hidden = config["hidden_size"]
    sd = module.state_dict()
    w_ih, w_hh, b_ih, b_hh = (sd[f"gru.{k}_l0"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    h = torch.zeros(x.shape[0], hidden)
    for t in range(x.shape[1]):
        gi = x[:, t] @ w_ih.T + b_ih                        # (batch, 3*hidden)
        gh = h @ w_hh.T + b_hh                              # (batch, 3*hidden)
        r = torch.sigmoid(gi[:, :hidden] + gh[:, :hidden])
        z = torch.sigmoid(gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
        n = torch.tanh(gi[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
        h = (1 - z) * n + z * h
    return h @ sd["fc.weight"].T + sd["fc.bias"]


class BuildTests(unittest.TestCase):
    def test_every_family_builds_and_maps_shapes(self):
        cases = [("rnn", {}), ("rnn", {"nonlinearity": "relu"}), ("gru", {}), ("gru", {"layers": 3, "bidirectional": True}),
                 ("lstm", {"layers": 2}), ("bilstm", {}), ("ablstm", {"layers": 2}), ("cnn-gru", {}),
                 ("cnn-gru", {"bidirectional": True}), ("cnn-gru-parallel", {"layers": 2}), ("cnn-gru-parallel", {})]
        for architecture, options in cases:
            with self.subTest(architecture=architecture, **options):
                extra = {k: v for k, v in options.items() if k == "nonlinearity"}
                config = make_config(architecture, layers=options.get("layers", 1),
                                     bidirectional=options.get("bidirectional"), **extra)
                module = models.build_model(config).eval()
                with torch.no_grad():
                    y = module(torch.randn(4, 20, 50))
                self.assertEqual(tuple(y.shape), (4, 3))
                self.assertTrue(bool(torch.isfinite(y).all()))

    def test_state_dict_names_as_documented(self):
        H, F, S, C, A = 8, 50, 20, 3, 6
        Lc = models.encoder_output_length(F)
        self.assertEqual(Lc, 1)                             # ((50-12)//3+1 - 5)//2+1 - 4 = (13-5)//2+1 - 4
        self.assertEqual(models.encoder_output_length(90), 8)   # SenseFi's UT-HAR CNN+GRU: 250 x 8
        encoder = {"encoder.0.weight": (S, S, 12), "encoder.0.bias": (S,), "encoder.2.weight": (S, S, 5),
                   "encoder.2.bias": (S,), "encoder.4.weight": (S, S, 5), "encoder.4.bias": (S,)}
        expected = {
            ("rnn", 2, False): set(recurrent_names("rnn", 2, False)) | {"fc.weight", "fc.bias"},
            ("gru", 1, True): set(recurrent_names("gru", 1, True)) | {"fc.weight", "fc.bias"},
            ("lstm", 1, False): set(recurrent_names("lstm", 1, False)) | {"fc.weight", "fc.bias"},
            ("bilstm", 2, None): set(recurrent_names("lstm", 2, True)) | {"fc.weight", "fc.bias"},
            ("ablstm", 1, None): set(recurrent_names("lstm", 1, True)) | {"fc.weight", "fc.bias", "attention.W.weight",
                                                                         "attention.W.bias", "attention.v.weight"},
            ("cnn-gru", 1, False): set(encoder) | set(recurrent_names("gru", 1, False))
            | {"classifier.1.weight", "classifier.1.bias"},
            ("cnn-gru-parallel", 2, True): set(encoder) | set(recurrent_names("gru", 2, True))
            | set(recurrent_names("cnn_gru", 2, True)) | {"classifier.1.weight", "classifier.1.bias"},
        }
        for (architecture, layers, bidirectional), names in expected.items():
            with self.subTest(architecture=architecture):
                shapes = models.expected_tensors(make_config(architecture, H, layers, bidirectional, S, F, C))
                self.assertEqual(set(shapes), names)
        shapes = models.expected_tensors(make_config("ablstm", H, 1, None, S, F, C))
        self.assertEqual(shapes["attention.W.weight"], (A, 2 * H))
        self.assertEqual(shapes["attention.v.weight"], (1, A))
        self.assertEqual(shapes["fc.weight"], (C, 2 * H))
        self.assertEqual(shapes["lstm.weight_ih_l0_reverse"], (4 * H, F))
        shapes = models.expected_tensors(make_config("bilstm", H, 2, None, S, F, C))
        self.assertEqual(shapes["fc.weight"], (C, H))       # h_n[-1]: the backward direction only (SenseFi)
        self.assertEqual(shapes["lstm.weight_ih_l1"], (4 * H, 2 * H))
        shapes = models.expected_tensors(make_config("cnn-gru-parallel", H, 1, True, S, F, C))
        for name, shape in encoder.items():
            self.assertEqual(shapes[name], shape)
        self.assertEqual(shapes["cnn_gru.weight_ih_l0"], (3 * H, Lc))
        self.assertEqual(shapes["gru.weight_ih_l0"], (3 * H, F))
        self.assertEqual(shapes["classifier.1.weight"], (C, 2 * H))

    def test_gru_matches_hand_written_equations(self):
        torch.manual_seed(1)
        config = make_config("gru", hidden=5, features=7, steps=9)
        module = models.build_model(config).eval()
        x = torch.randn(3, 9, 7)
        with torch.no_grad():
            diff = (module(x) - reference_gru_logits(config, module, x)).abs().max().item()
        print(f"gru vs hand-written equations: maxdiff {diff:.3e}")
        self.assertLess(diff, 1e-5)

    def test_bidirectional_classifier_reads_backward_final_state(self):
        torch.manual_seed(2)
        config = make_config("bilstm", hidden=6, features=5, steps=7)
        module = models.build_model(config).eval()
        x = torch.randn(2, 7, 5)
        with torch.no_grad():
            out, _ = module.lstm(x)                         # (batch, steps, 2*hidden): backward half at t = 0
            expected = module.fc(out[:, 0, 6:])
            diff = (module(x) - expected).abs().max().item()
        self.assertLess(diff, 1e-6)

    def test_parallel_concatenates_cnn_then_raw(self):
        torch.manual_seed(3)
        config = make_config("cnn-gru-parallel", hidden=4)
        module = models.build_model(config).eval()
        x = torch.randn(2, 20, 50)
        with torch.no_grad():
            _, h_cnn = module.cnn_gru(module.encoder(x))
            _, h_raw = module.gru(x)
            expected = h_cnn[-1] @ module.classifier[1].weight[:, :4].T + h_raw[-1] @ module.classifier[1].weight[:, 4:].T
            diff = (module(x) - expected - module.classifier[1].bias).abs().max().item()
        self.assertLess(diff, 1e-6)

    def test_same_seed_same_initial_weights(self):
        config = make_config("ablstm")
        torch.manual_seed(7)
        a = models.build_model(config).state_dict()
        torch.manual_seed(7)
        b = models.build_model(config).state_dict()
        self.assertTrue(all(torch.equal(a[k], b[k]) for k in a))


class ValidationTests(unittest.TestCase):
    def assertRejects(self, config, field):
        with self.assertRaises(models.ModelConfigError) as caught:
            models.build_model(config)
        self.assertEqual(caught.exception.field, field, str(caught.exception))
        self.assertIn(field, str(caught.exception))

    def test_bad_configs_name_the_field(self):
        self.assertRejects(make_config("transformer"), "architecture")
        self.assertRejects(make_config("gru", hidden=0), "hidden_size")
        self.assertRejects(make_config("gru", hidden=5000), "hidden_size")
        self.assertRejects(make_config("gru", hidden=True), "hidden_size")
        self.assertRejects(make_config("gru", layers=17), "num_layers")
        self.assertRejects(make_config("gru", classes=4) | {"labels": ["a"]}, "labels")
        self.assertRejects(make_config("gru", features=0), "input.features")
        self.assertRejects(make_config("gru", steps=200000), "input.steps")
        self.assertRejects(make_config("gru", format_version=2), "format_version")
        self.assertRejects({k: v for k, v in make_config("gru").items() if k != "format_version"}, "format_version")
        self.assertRejects(make_config("rnn", nonlinearity="sigmoid"), "nonlinearity")
        self.assertRejects(make_config("bilstm", bidirectional=False), "bidirectional")
        self.assertRejects(make_config("gru", bidirectional="yes"), "bidirectional")
        self.assertRejects({k: v for k, v in make_config("ablstm").items() if k != "attention_size"}, "attention_size")
        self.assertRejects(make_config("cnn-gru", features=47), "input.features")
        self.assertRejects({k: v for k, v in make_config("gru").items() if k != "input"}, "input")

    def test_defaults(self):
        config = make_config("gru")
        del config["num_layers"]
        module = models.build_model(config)
        self.assertEqual(module.gru.num_layers, 1)
        self.assertFalse(module.gru.bidirectional)
        self.assertTrue(models.build_model(make_config("ablstm")).lstm.bidirectional)
        self.assertEqual(models.build_model(make_config("rnn")).rnn.nonlinearity, "tanh")
        self.assertEqual(models.build_model(make_config("cnn-gru", features=48)).gru.input_size, 1)


class FileTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def test_export_load_round_trip_every_family(self):
        from safetensors import safe_open
        for architecture in models.ARCHITECTURES:
            with self.subTest(architecture=architecture):
                torch.manual_seed(4)
                config = make_config(architecture, layers=2, bidirectional=True if "gru" in architecture else None)
                module = models.build_model(config).eval()
                path = os.path.join(self.tmp.name, f"{architecture}.safetensors")
                models.export_model(module, config, path)
                with safe_open(path, "pt") as f:
                    metadata = f.metadata()
                    self.assertEqual(metadata["format"], "pt")
                    self.assertEqual(json.loads(metadata["csihar"]), config)
                    self.assertEqual(set(f.keys()), set(module.state_dict()))
                    for name in f.keys():
                        self.assertEqual(f.get_tensor(name).dtype, torch.float32)
                loaded, loaded_config = models.load_model(path)
                self.assertEqual(loaded_config, config)
                self.assertFalse(loaded.training)
                x = torch.randn(3, 20, 50)
                with torch.no_grad():
                    self.assertTrue(torch.equal(loaded(x), module(x)))

    def test_export_refuses_a_module_that_does_not_match_the_config(self):
        config = make_config("gru")
        other = models.build_model(make_config("gru", hidden=9))
        with self.assertRaises(models.ModelConfigError) as caught:
            models.export_model(other, config, os.path.join(self.tmp.name, "x.safetensors"))
        self.assertIn("shape [3, 9], expected [3, 8]", str(caught.exception))
        extra = nn.Sequential()
        extra.gru = nn.GRU(50, 8, batch_first=True)
        with self.assertRaises(models.ModelConfigError) as caught:
            models.export_model(extra, config, os.path.join(self.tmp.name, "y.safetensors"))
        self.assertEqual(caught.exception.field, "fc.bias")

    def test_export_writes_float32(self):
        config = make_config("lstm")
        module = models.build_model(config).double()
        path = os.path.join(self.tmp.name, "double.safetensors")
        models.export_model(module, config, path)
        loaded, _ = models.load_model(path)
        self.assertTrue(all(t.dtype == torch.float32 for t in loaded.state_dict().values()))

    def test_load_rejects_bad_files(self):
        from safetensors.torch import save_file
        config = make_config("gru")
        tensors = {k: v.clone() for k, v in models.build_model(config).state_dict().items()}
        path = os.path.join(self.tmp.name, "bad.safetensors")

        save_file(tensors, path, metadata={"format": "pt"})
        with self.assertRaisesRegex(models.ModelConfigError, "__metadata__.csihar"):
            models.load_model(path)
        bad = dict(tensors)
        bad["fc.bias"] = torch.full_like(bad["fc.bias"], float("nan"))
        save_file(bad, path, metadata={"format": "pt", "csihar": json.dumps(config)})
        with self.assertRaisesRegex(models.ModelConfigError, "fc.bias: contains NaN"):
            models.load_model(path)
        bad = dict(tensors)
        bad["gru.weight_hh_l0"] = torch.zeros(24, 9)
        save_file(bad, path, metadata={"format": "pt", "csihar": json.dumps(config)})
        with self.assertRaisesRegex(models.ModelConfigError, r"gru.weight_hh_l0: shape \[24, 9\]"):
            models.load_model(path)
        bad = dict(tensors)
        bad["extra"] = torch.zeros(1)
        save_file(bad, path, metadata={"format": "pt", "csihar": json.dumps(config)})
        with self.assertRaisesRegex(models.ModelConfigError, "extra: unexpected tensor"):
            models.load_model(path)
        save_file(tensors, path, metadata={"format": "pt", "csihar": json.dumps(config | {"classes": 4})})
        with self.assertRaisesRegex(models.ModelConfigError, "labels"):
            models.load_model(path)


class ShippedModelTests(unittest.TestCase):
    def test_shipped_models_load(self):
        paths = sorted(glob.glob(os.path.join(REPO, "models", "*.safetensors")))
        if not paths:
            self.skipTest("no models/*.safetensors in this checkout")
        for path in paths:
            with self.subTest(model=os.path.basename(path)):
                module, config = models.load_model(path)
                x = torch.randn(2, config["input"]["steps"], config["input"]["features"])
                with torch.no_grad():
                    y = module(x)
                self.assertEqual(tuple(y.shape), (2, config["classes"]))


if __name__ == "__main__":
    unittest.main()


class DeclareSmootherTests(unittest.TestCase):
    """csihar_train.declare_smoother: the config gains `smoother`, the tensors stay byte for byte."""

    def test_declares_keeps_tensors_and_refuses_unknown_keys(self):
        from safetensors import safe_open
        from csihar_train import declare_smoother
        with tempfile.TemporaryDirectory() as tmp:
            torch.manual_seed(5)
            config = make_config("gru")
            module = models.build_model(config).eval()
            path = os.path.join(tmp, "m.safetensors")
            models.export_model(module, config, path)
            declare_smoother.declare(path, {"fall_peak_confidence": 0.99})
            loaded, loaded_config = models.load_model(path)
            self.assertEqual(loaded_config["smoother"], {"fall_peak_confidence": 0.99})
            self.assertEqual({k: v for k, v in loaded_config.items() if k != "smoother"}, config)
            with safe_open(path, "pt") as f:
                for name, tensor in module.state_dict().items():
                    self.assertTrue(torch.equal(f.get_tensor(name), tensor))
            declare_smoother.declare(path, {"fall_confidence": 0.8})
            self.assertEqual(models.read_config(path)["smoother"], {"fall_peak_confidence": 0.99, "fall_confidence": 0.8})
            declare_smoother.declare(path, {}, clear=True)
            self.assertNotIn("smoother", models.read_config(path))
            with self.assertRaisesRegex(ValueError, "smoother.idle_label"):
                declare_smoother.declare(path, {"idle_label": 0.5})
            with self.assertRaisesRegex(ValueError, "0...1"):
                declare_smoother.declare(path, {"fall_peak_confidence": 1.5})
            with self.assertRaisesRegex(ValueError, "smoother.minimum_seconds"):
                declare_smoother.declare(path, {"minimum_seconds": -1})
            declare_smoother.declare(path, {"minimum_seconds": 1.3})
            self.assertEqual(models.read_config(path)["smoother"], {"minimum_seconds": 1.3})
