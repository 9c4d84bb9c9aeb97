"""Declares smoother values in a model file: the optional `smoother` object of its config (docs/model-format.md),
which csihard applies to every stream of that model unless the config file's `[smoother]` sets the same key.

    python -m csihar_train.declare_smoother MODEL [--minimum-seconds 1.0] [--fall-peak-confidence 0.99] ...

The values are chosen after training, on the model's validation recordings (Benchmarks/recognition/validate.sh);
the file is rewritten with the same tensors (byte for byte) and the config plus `smoother`. `--clear` removes it.
"""
import argparse
import json
import os
import tempfile

from safetensors import safe_open
from safetensors.torch import save_file

KEYS = ("averaging_seconds", "enter_confidence", "exit_confidence", "minimum_seconds", "exit_seconds",
        "fall_confidence", "fall_peak_confidence")
PROBABILITIES = ("enter_confidence", "exit_confidence", "fall_confidence", "fall_peak_confidence")


def declare(path, values, clear=False):
    """Rewrites `path` with config["smoother"] = values (a dict of KEYS -> float in [0, 1]); returns the config."""
    for key, value in values.items():
        if key not in KEYS:
            raise ValueError(f"smoother.{key}: not a setting a model may declare ({', '.join(KEYS)})")
        if key in PROBABILITIES and not 0 <= value <= 1:
            raise ValueError(f"smoother.{key}: must be in 0...1, not {value}")
        if key not in PROBABILITIES and not value >= 0:
            raise ValueError(f"smoother.{key}: must be >= 0 seconds, not {value}")
    with safe_open(path, "pt") as f:
        metadata = dict(f.metadata() or {})
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    if "csihar" not in metadata:
        raise ValueError(f"{path}: __metadata__.csihar missing (not a csihar model file)")
    config = json.loads(metadata["csihar"])
    if clear:
        config.pop("smoother", None)
    if values:
        config["smoother"] = {**config.get("smoother", {}), **values}
    metadata["csihar"] = json.dumps(config)
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".safetensors", delete=False) as temporary:
        name = temporary.name
    try:
        save_file(tensors, name, metadata=metadata)
        os.replace(name, path)
    finally:
        if os.path.exists(name):
            os.unlink(name)
    return config


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    for key in KEYS:
        p.add_argument("--" + key.replace("_", "-"), type=float)
    p.add_argument("--clear", action="store_true", help="remove the declared values first")
    args = p.parse_args()
    values = {key: getattr(args, key) for key in KEYS if getattr(args, key) is not None}
    config = declare(args.model, values, clear=args.clear)
    print(f"{args.model}: smoother {json.dumps(config.get('smoother', {}))}")


if __name__ == "__main__":
    main()
