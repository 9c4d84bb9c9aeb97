"""The shipped models (models/*.safetensors), batch 1, one thread: csihar's engine next to PyTorch, in one run.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python Benchmarks/engine/shipped.py [--csihar .build/release/csihar] [--seconds 3]

PyTorch runs the module `training/csihar_train/models.py` rebuilds from the same file; csihar runs
`csihar bench engine --model M --batch 1`. Prints a Markdown table (windows per second and the ratio).
"""
import argparse, glob, json, os, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "training"))


def pytorch_rate(path, seconds):
    import torch
    from csihar_train import models
    torch.set_num_threads(1)
    module, config = models.load_model(path)[:2]
    x = torch.randn(1, config["input"]["steps"], config["input"]["features"])
    with torch.no_grad():
        for _ in range(20):
            module(x)
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            module(x)
            calls += 1
    return calls / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--csihar", default=os.path.join(ROOT, ".build", "release", "csihar"))
    p.add_argument("--seconds", type=float, default=3)
    args = p.parse_args()
    print("| model | csihar windows/s | PyTorch windows/s | csihar / PyTorch |")
    print("|---|---|---|---|")
    for path in sorted(glob.glob(os.path.join(ROOT, "models", "*.safetensors"))):
        out = subprocess.run([args.csihar, "bench", "engine", "--model", path, "--batch", "1", "--seconds",
                              str(args.seconds), "--json"], capture_output=True, text=True, check=True)
        ours = json.loads(out.stdout.strip().splitlines()[-1])["windows_per_second"]
        theirs = pytorch_rate(path, args.seconds)
        name = os.path.basename(path)[:-len(".safetensors")]
        print(f"| {name} | {ours:,.0f} | {theirs:,.0f} | **{ours / theirs:.1f}x** |", flush=True)


if __name__ == "__main__":
    main()
