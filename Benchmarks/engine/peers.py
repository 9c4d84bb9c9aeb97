#!/usr/bin/env python3
"""Benchmark peers of the csihar engine: PyTorch and ONNX Runtime on the same weights.

Models (250 x 90 windows, 7 classes, built by training/csihar_train/models.py from a fixed seed):
  gru64      GRU(90 -> 64)
  gru128     GRU(90 -> 128)
  ablstm200  ABLSTM: BiLSTM(90 -> 200) + attention 400

For each model: writes <export-dir>/<model>.safetensors (what `csihar bench engine --model` reads) and
<model>.onnx (torch.onnx.export, opset 17, dynamic batch), then measures windows per second for PyTorch
(torch.set_num_threads(T), inference_mode, eval) and ONNX Runtime (intra_op_num_threads=T, inter_op 1,
sequential) at each batch size, for --seconds after a warm-up. The streaming peer: the Python pipeline recomputes
the whole window at every hop, so its per-window cost at hop 25 is the full-window cost at batch 64 and its
per-frame cost is that divided by the hop.

Prints one JSON line per measurement (and one per exported model, "kind": "export"):
  {"kind": "measure", "model", "peer": "pytorch"|"onnxruntime", "batch", "threads", "seconds", "windows",
   "windows_per_second", "ms_per_window", "gflops"}
  {"kind": "stream", "model", "peer", "hop", "batch", "windows_per_second", "ms_per_window", "us_per_frame"}

    .venv/bin/python Benchmarks/engine/peers.py --export-dir .build/bench-models --seconds 5 --threads 1
    ... --export-only       write the model files only (run.sh does this before building csihar's runs)
"""
import argparse
import json
import os
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "training"))

STEPS, FEATURES, CLASSES = 250, 90, 7
LABELS = ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up"]
MODELS = {
    "gru64": {"architecture": "gru", "hidden_size": 64},
    "gru128": {"architecture": "gru", "hidden_size": 128},
    "ablstm200": {"architecture": "ablstm", "hidden_size": 200, "attention_size": 400},
}
SEED = 1234


def model_config(name):
    spec = MODELS[name]
    config = {"format_version": 1, "name": f"bench-{name}", "architecture": spec["architecture"],
              "hidden_size": spec["hidden_size"], "num_layers": 1,
              "bidirectional": spec["architecture"] == "ablstm", "classes": CLASSES, "labels": LABELS,
              "input": {"steps": STEPS, "features": FEATURES, "sample_rate_hz": 250, "layout": "3x30",
                        "transform": "amplitude-db", "normalization": {"kind": "minmax", "min": -11.8, "max": 27.5}},
              "training": {"note": "random weights for Benchmarks/engine (seed %d)" % SEED}}
    if "attention_size" in spec:
        config["attention_size"] = spec["attention_size"]
    return config


def flops_per_window(config):
    """Multiply-adds x 2 of the matrix products (the elementwise gate math is not counted)."""
    hidden, steps, features = config["hidden_size"], STEPS, FEATURES
    if config["architecture"] == "gru":
        return 2 * steps * 3 * hidden * (features + hidden) + 2 * hidden * CLASSES
    attention = config["attention_size"]
    lstm = 2 * 2 * steps * 4 * hidden * (features + hidden)                     # two directions
    pooling = 2 * steps * (2 * hidden * attention + attention) + 2 * steps * 2 * hidden
    return lstm + pooling + 2 * 2 * hidden * CLASSES


def export(name, export_dir):
    """Builds the model from the fixed seed, writes .safetensors and .onnx; returns (module, config, paths)."""
    import torch
    from csihar_train import models
    config = model_config(name)
    torch.manual_seed(SEED)
    module = models.build_model(config).eval()
    os.makedirs(export_dir, exist_ok=True)
    model_path = os.path.join(export_dir, f"{name}.safetensors")
    onnx_path = os.path.join(export_dir, f"{name}.onnx")
    models.export_model(module, config, model_path)
    example = torch.randn(2, STEPS, FEATURES)
    # torch warns that a GRU/LSTM exported at batch 2 may fail at other batch sizes; main() checks batch 1 and 3
    warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
    torch.onnx.export(module, (example,), onnx_path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
    return module, config, model_path, onnx_path


def timed(run, seconds, warmup_seconds):
    """Calls run() (one batch) repeatedly: warm-up, then for `seconds`; returns (calls, elapsed)."""
    start = time.perf_counter()
    while time.perf_counter() - start < warmup_seconds:
        run()
    calls, start = 0, time.perf_counter()
    while True:
        run()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls, elapsed


def measure_line(model, peer, batch, threads, calls, elapsed, flops):
    windows = calls * batch
    rate = windows / elapsed
    return {"kind": "measure", "model": model, "peer": peer, "batch": batch, "threads": threads,
            "seconds": round(elapsed, 3), "windows": windows, "windows_per_second": rate,
            "ms_per_window": 1e3 / rate, "gflops": rate * flops / 1e9}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=",".join(MODELS), help="comma list of " + ", ".join(MODELS))
    p.add_argument("--export-dir", default=os.path.join(ROOT, ".build", "bench-models"))
    p.add_argument("--export-only", action="store_true")
    p.add_argument("--peers", default="pytorch,onnxruntime")
    p.add_argument("--batches", default="1,64")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per measurement")
    p.add_argument("--hop", type=int, default=25, help="hop of the streaming-equivalent line")
    args = p.parse_args()

    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    batches = [int(b) for b in args.batches.split(",")]
    peers = args.peers.split(",")

    for name in args.models.split(","):
        if name not in MODELS:
            raise SystemExit(f"--models: unknown model {name!r} (known: {', '.join(MODELS)})")
        module, config, model_path, onnx_path = export(name, args.export_dir)
        flops = flops_per_window(config)
        line = {"kind": "export", "model": name, "safetensors": model_path, "onnx": onnx_path,
                "parameters": sum(p.numel() for p in module.parameters()), "gflop_per_window": flops / 1e9}
        if "onnxruntime" in peers or args.export_only:
            import onnxruntime as ort
            session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
            diff = 0.0
            for batch in (1, 3):
                check = torch.randn(batch, STEPS, FEATURES)
                with torch.inference_mode():
                    expected = module(check).numpy()
                got = session.run(None, {"input": check.numpy()})[0]
                diff = max(diff, float(np.abs(got - expected).max()))
            line["onnx_max_abs_diff"] = diff                    # ONNX Runtime vs PyTorch logits, batch 1 and 3
        print(json.dumps(line), flush=True)
        if args.export_only:
            continue

        rates = {}
        for peer in peers:
            if peer == "onnxruntime":
                import onnxruntime as ort
                options = ort.SessionOptions()
                options.intra_op_num_threads = args.threads
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
            for batch in batches:
                x = torch.randn(batch, STEPS, FEATURES, generator=torch.Generator().manual_seed(batch))
                if peer == "pytorch":
                    def run():
                        with torch.inference_mode():
                            module(x)
                elif peer == "onnxruntime":
                    feed = {"input": x.numpy()}

                    def run():
                        session.run(None, feed)
                else:
                    raise SystemExit(f"--peers: unknown peer {peer!r} (pytorch, onnxruntime)")
                calls, elapsed = timed(run, args.seconds, args.warmup)
                result = measure_line(name, peer, batch, args.threads, calls, elapsed, flops)
                rates[(peer, batch)] = result["windows_per_second"]
                print(json.dumps(result), flush=True)
            stream_batch = max(batches)
            rate = rates[(peer, stream_batch)]
            print(json.dumps({"kind": "stream", "model": name, "peer": peer, "hop": args.hop, "batch": stream_batch,
                              "threads": args.threads, "windows_per_second": rate, "ms_per_window": 1e3 / rate,
                              "us_per_frame": 1e6 / rate / args.hop,
                              "note": "full-window recompute per hop (the Python pipeline)"}), flush=True)


if __name__ == "__main__":
    main()
