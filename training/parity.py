"""Swift engine vs PyTorch parity on a model's test windows.

Takes the model's held-out test windows (un-normalised, as the daemon's pipeline hands them over), normalises
them with the model file's input spec (training/csihar_train/data.py, the reference of the Swift Normalizer),
computes PyTorch logits from the same `.safetensors` file, runs `csihar predict` on the same normalised windows
(X.npy; predict's input is normalised), and compares predicted classes and logits. Writes a JSON report for the model card.

    python parity.py --model ../models/wiar-gru.safetensors --report reports/wiar-gru.json \
        --out reports/wiar-gru-parity.json [--csihar PATH] [--limit N]
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from csihar_train import data  # noqa: E402
from csihar_train.models import load_model  # noqa: E402

DEFAULT_PREDICT = "{csihar} predict --model {model} --input {x} --output {logits}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--report", required=True, help="training report (gives the dataset and the test split)")
    p.add_argument("--out", required=True)
    p.add_argument("--csihar", default=None, help="csihar binary (default: swift build --show-bin-path)/csihar")
    p.add_argument("--predict", default=DEFAULT_PREDICT, help="command template")
    p.add_argument("--limit", type=int, default=0, help="use at most this many windows (0: all)")
    args = p.parse_args()
    torch.set_num_threads(2)

    report = json.load(open(args.report))
    base = os.path.dirname(os.path.abspath(args.report))
    source = report.get("test_data") or report["args"]["data"]
    source = source if os.path.isabs(source) else os.path.join(base, "..", source)
    export = data.load_export(source)
    index = data.window_indices(export, report["split"]["test"])
    if args.limit:
        index = index[: args.limit]
    X = np.ascontiguousarray(export.X[index], dtype=np.float32)           # (n, steps, features) un-normalised

    model, config = load_model(args.model)
    with torch.no_grad():
        normalised = data.normalize(X, config["input"]["normalization"])
        torch_logits = np.concatenate([model(torch.from_numpy(normalised[s:s + 256])).numpy()
                                       for s in range(0, len(X), 256)])   # (n, classes)

    csihar = args.csihar
    if csihar is None:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=root, capture_output=True, text=True,
                                  check=True).stdout.strip()
        csihar = os.path.join(bin_path, "csihar")
    with tempfile.TemporaryDirectory() as tmp:
        x_path, logits_path = os.path.join(tmp, "X.npy"), os.path.join(tmp, "logits.npy")
        np.save(x_path, normalised)          # `csihar predict` takes windows normalised as the model expects
        command = args.predict.format(csihar=shlex.quote(csihar), model=shlex.quote(os.path.abspath(args.model)),
                                      x=x_path, logits=logits_path)
        started = time.perf_counter()
        subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        swift_logits = np.load(logits_path).reshape(torch_logits.shape)

    agree = swift_logits.argmax(1) == torch_logits.argmax(1)
    result = {
        "model": args.model, "windows": int(len(X)), "agreement": float(agree.mean()),
        "disagreements": int((~agree).sum()),
        "max_abs_logit_diff": float(np.abs(swift_logits - torch_logits).max()),
        "swift_ms_per_window": 1e3 * seconds / max(len(X), 1),
        "command": "python training/parity.py --model " + os.path.relpath(args.model, os.getcwd()) + " ...",
        "predict_command": args.predict,
        "csihar": os.path.relpath(os.path.abspath(csihar), os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")),
    }
    json.dump(result, open(args.out, "w"), indent=1)
    print(f"parity {args.model}: {result['agreement'] * 100:.3f}% of {len(X)} windows agree, "
          f"max |logit diff| {result['max_abs_logit_diff']:.3e}")
    return 0 if result["agreement"] >= 0.999 else 1


if __name__ == "__main__":
    sys.exit(main())
