#!/usr/bin/env python3
"""The pipeline a user would glue together in Python for the daemon's job, under the same generated load as
`csihar bench daemon`: S streams of 1 kHz Intel 5300 frames (the bundled sample replayed per stream with its own
offset), each turned into 250 x 90 windows at 250 Hz every 0.2 s and classified by the same model in PyTorch.

Per hop (0.2 s of capture time) and for all streams at once (vectorised, the generous way to write it):
  scaled CSI (csiread 1.4.1 `get_scaled_csi`, decoded once up front as the Swift side also pre-loads its frames)
  -> |H| in dB of the 3 x 30 entries (20 log10, -inf -> 0) -> 250 Hz by averaging pairs of 500 Hz zero-order-hold
  samples -> append to each stream's (250, 90) window -> min-max normalisation from the model file -> PyTorch
  forward (batches of 64) -> softmax -> probability averaging over the last second (the smoothing step).

Prints one JSON line: streams, capture_seconds, wall_seconds, realtime_factor, sustainable_streams_estimate,
frames_per_second, windows_per_second.

    python Benchmarks/daemon/python_pipeline.py --model models/ut-har-gru.safetensors --streams 50 --seconds 5
"""
import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "training"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.path.join(ROOT, "models/ut-har-gru.safetensors"))
    parser.add_argument("--capture", default=os.path.join(ROOT, "samples/fall-1khz-intel5300.dat"))
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warm-up", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--per-frame", action="store_true",
                        help="features frame by frame as frames arrive (a live loop), not vectorised per hop")
    args = parser.parse_args()

    import csiread
    import torch
    from csihar_train.models import load_model

    torch.set_num_threads(args.threads)
    module, config = load_model(args.model)
    module.eval()
    steps, features = config["input"]["steps"], config["input"]["features"]
    norm = config["input"].get("normalization", {"kind": "none"})

    reader = csiread.Intel(args.capture, nrxnum=3, ntxnum=1, if_report=False)
    reader.read()
    scaled = reader.get_scaled_csi()[:, :, :3, 0]          # (frames, 30, 3) complex, tx 0
    pool = np.ascontiguousarray(np.transpose(scaled, (0, 2, 1)).reshape(len(scaled), 90))  # (frames, 90), f = 30a + s
    frames = len(pool)

    rate, hop_seconds = 1000, 0.2
    hop = int(rate * hop_seconds)                            # 200 frames per stream per hop
    model_rate = config["input"].get("sample_rate_hz", 250)
    factor = int(round(rate / model_rate))                   # 4 frames per model step at 250 Hz
    new_steps = hop // factor
    S = args.streams
    offsets = (np.arange(S) * 7919) % frames
    windows = np.zeros((S, steps, features), dtype=np.float32)
    history = [[] for _ in range(S)]

    def features_per_frame(tick):
        """A live loop: each frame's features when it arrives, stream by stream."""
        db = np.empty((S, hop, features), dtype=np.float32)
        with np.errstate(divide="ignore"):
            for t in range(hop):
                for stream in range(S):
                    frame = pool[(offsets[stream] + tick + t) % frames]
                    magnitude = np.abs(frame)
                    db[stream, t] = np.where(magnitude > 0, 20 * np.log10(magnitude), 0)
        return db

    def features_vectorised(tick):
        index = (offsets[:, None] + tick + np.arange(hop)[None, :]) % frames      # (S, hop)
        block = pool[index]                                                       # (S, hop, 90) complex
        magnitude = np.abs(block)
        with np.errstate(divide="ignore"):
            return np.where(magnitude > 0, 20 * np.log10(magnitude), 0).astype(np.float32)

    def one_hop(tick):
        db = features_per_frame(tick) if args.per_frame else features_vectorised(tick)
        # 1 kHz -> 500 Hz zero-order hold -> 250 Hz by averaging pairs: mean of each group of `factor` frames'
        # first and middle samples
        grouped = db.reshape(S, new_steps, factor, features)
        resampled = 0.5 * (grouped[:, :, 0, :] + grouped[:, :, factor // 2, :])  # (S, new_steps, 90)
        windows[:, :-new_steps] = windows[:, new_steps:]
        windows[:, -new_steps:] = resampled
        x = windows.copy()
        if norm.get("kind") == "minmax":
            x = (x - norm["min"]) / (norm["max"] - norm["min"])
        elif norm.get("kind") == "standard":
            x = (x - np.asarray(norm["mean"], dtype=np.float32)) / np.asarray(norm["std"], dtype=np.float32)
        elif norm.get("kind") == "window-centered":
            x = (x - x.mean(axis=1, keepdims=True)) / np.asarray(norm["std"], dtype=np.float32)
        probabilities = []
        with torch.inference_mode():
            for start in range(0, S, 64):
                logits = module(torch.from_numpy(np.ascontiguousarray(x[start:start + 64])))
                probabilities.append(torch.softmax(logits, dim=1).numpy())
        probabilities = np.concatenate(probabilities)
        for stream in range(S):                                                   # smoothing: 1 s average
            history[stream].append(probabilities[stream])
            if len(history[stream]) > 5:
                history[stream].pop(0)
            np.mean(history[stream], axis=0).argmax()

    tick = 0
    while tick < args.warm_up * rate:
        one_hop(tick)
        tick += hop
    start = time.perf_counter()
    measured = 0
    while measured < args.seconds * rate:
        one_hop(tick)
        tick += hop
        measured += hop
    wall = time.perf_counter() - start
    capture = measured / rate
    factor_rt = capture / wall
    print(json.dumps({"peer": "python-per-frame" if args.per_frame else "python-vectorised", "streams": S, "capture_seconds": capture, "wall_seconds": wall,
                      "realtime_factor": factor_rt, "sustainable_streams_estimate": S * factor_rt,
                      "frames_per_second": S * measured / wall, "windows_per_second": S * measured / hop / wall,
                      "threads": args.threads, "model": args.model}))


if __name__ == "__main__":
    main()
