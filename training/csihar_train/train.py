"""Trains one model on an exported dataset, reports class-balanced figures, exports the engine's `.safetensors`.

    python -m csihar_train.train --data EXPORT --arch gru --hidden 64 --name wiar-gru \
        --out models/wiar-gru.safetensors --report training/reports/wiar-gru.json

Reproducible: fixed seeds for the split, the initial weights and the batch order; torch.set_num_threads(2).
Splits are by recording (see data.py); normalisation constants come from the training split only.
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn

from . import data, metrics

from .models import build_model, export_model, load_model

MODELS_SOURCE = "csihar_train.models"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="export folder (csihar dataset export)")
    p.add_argument("--arch", choices=["gru", "ablstm", "lstm", "rnn", "bilstm"], default="gru")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--attention", type=int, default=128, help="ablstm attention size")
    p.add_argument("--name", required=True)
    p.add_argument("--out", help="model file to write (.safetensors); omitted: no export")
    p.add_argument("--report", help="JSON report to write")
    p.add_argument("--split", choices=["trial", "group", "field", "random"], default="trial",
                   help="trial: held-out trials of every group; group: --test-groups held out; "
                        "field: recordings whose --field is in --test-values held out; random: recordings shuffled")
    p.add_argument("--groups", help="comma list: use only these groups (trial split)")
    p.add_argument("--train-groups", help="comma list (group split)")
    p.add_argument("--test-groups", help="comma list (group split)")
    p.add_argument("--validation-groups", help="comma list (group split): validation = these groups instead of "
                                               "held-out trials of the training groups (UT-HAR: val)")
    p.add_argument("--test-data", help="separate export used as the test set (e.g. simulated unseen rooms); "
                                        "--data is then split into train/validation only")
    p.add_argument("--field", default="room")
    p.add_argument("--test-values", help="comma list (field split)")
    p.add_argument("--validation-fraction", type=float, default=0.2)
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--lr-schedule", choices=["constant", "cosine"], default="constant",
                   help="cosine: the learning rate falls from --lr to 0 over --epochs, batch by batch")
    p.add_argument("--repeat", action="append", default=[], metavar="TEXT=N",
                   help="training windows of recordings whose path contains TEXT are used N times per epoch "
                        "(e.g. real recordings among many simulated ones); repeatable")
    p.add_argument("--exclude", action="append", default=[], metavar="TEXT",
                   help="recordings whose path contains TEXT take no part in training or validation (e.g. a person "
                        "held out for a leave-one-person-out test given by --test-data); repeatable")
    p.add_argument("--train-stride", type=int, default=1, help="keep every n-th training window of a recording")
    p.add_argument("--noise", type=float, default=0.0, help="Gaussian noise (normalised units) added in training")
    p.add_argument("--offset-augment", type=float, default=0.0,
                   help="training windows get a random constant offset per feature and per window (normalised "
                        "units, standard deviation): teaches the model to use changes over time, not a room's "
                        "static level")
    p.add_argument("--scale-augment", type=float, default=0.0,
                   help="each training window's features multiplied by exp(s * N(0,1)), one factor per feature "
                        "(normalised units; a placement that changes each subcarrier's swing)")
    p.add_argument("--normalization", choices=["standard", "window-centered"], default="standard",
                   help="standard: per-feature mean/std of the training split; window-centered: each window's "
                        "per-feature mean removed (the room's static multipath level), then per-feature std")
    p.add_argument("--init-from", metavar="MODEL",
                   help="fine-tune: start from this model file's weights and keep its input normalisation (the "
                        "architecture options must describe the same network)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-minutes", type=float, default=30.0, help="stop training after this long")
    return p.parse_args(argv)


def model_config(args, export, normalization):
    config = {
        "format_version": 1,
        "name": args.name,
        "architecture": args.arch,
        "hidden_size": args.hidden,
        "num_layers": args.layers,
        "bidirectional": args.arch in ("bilstm", "ablstm"),
        "classes": len(export.labels),
        "labels": export.labels,
        "input": {k: export.input[k] for k in ("steps", "features", "sample_rate_hz", "layout", "transform", "doppler")
                  if k in export.input},
    }
    if args.arch == "ablstm":
        config["attention_size"] = args.attention
    if args.arch == "rnn":
        config["nonlinearity"] = "tanh"
    config["input"]["normalization"] = normalization
    return config


@torch.no_grad()
def predict(model, X, index, normalization, batch=256):
    """Softmax probabilities (len(index), classes) for the windows `index` of X."""
    model.eval()
    out = []
    for start in range(0, len(index), batch):
        block = data.normalize(np.asarray(X[index[start:start + batch]]), normalization)
        out.append(torch.softmax(model(torch.from_numpy(block)), dim=1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 1), dtype=np.float32)


def latency_ms(model, steps, features, repeats=50):
    """Median PyTorch CPU latency of one window (batch 1), milliseconds."""
    model.eval()
    x = torch.randn(1, steps, features)
    times = []
    with torch.no_grad():
        for i in range(repeats + 5):
            t0 = time.perf_counter()
            model(x)
            if i >= 5:
                times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def make_split(args, export, exclude):
    if args.split == "group" and args.validation_groups:
        chosen = {k: set(getattr(args, k + "_groups").split(",")) for k in ("train", "validation", "test")}
        return {k: sorted(r["id"] for r in export.recordings if r.get("group") in g and r["id"] not in exclude)
                for k, g in chosen.items()}
    if args.split == "group":
        return data.split_by_group(export, args.train_groups.split(","), args.test_groups.split(","), args.seed,
                                   args.validation_fraction, exclude)
    if args.split == "field":
        values = set(args.test_values.split(","))
        values |= {int(v) for v in values if v.lstrip("-").isdigit()}
        return data.split_by_field(export, args.field, values, args.seed, args.validation_fraction, exclude)
    if args.split == "random":
        return data.split_random(export, args.seed, args.validation_fraction, args.test_fraction, exclude)
    groups = set(args.groups.split(",")) if args.groups else None
    return data.split_by_trial(export, args.seed, args.validation_fraction, args.test_fraction, exclude, groups)


def learning_rate(base, schedule, progress):
    """The learning rate at `progress` (0 at the first batch, 1 after the last of --epochs): `constant` keeps
    `base`; `cosine` falls from `base` to 0 along half a cosine."""
    if schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))
    return base


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    started = time.time()

    export = data.load_export(args.data)
    duplicates = data.duplicate_recordings(export)
    if args.test_data:
        args.test_fraction = 0.0
    split = make_split(args, export, duplicates)
    test_export = export
    if args.test_data:
        test_export = data.load_export(args.test_data)
        if test_export.labels != export.labels or test_export.X.shape[1:] != export.X.shape[1:]:
            raise SystemExit(f"{args.test_data}: labels or window shape differ from {args.data}")
        split["test"] = sorted(r["id"] for r in test_export.recordings)
    if args.exclude:
        dropped = {r["id"] for r in export.recordings if any(t in (r.get("path") or "") for t in args.exclude)}
        for part in ("train", "validation"):
            split[part] = [i for i in split[part] if i not in dropped]
        print(f"--exclude {','.join(args.exclude)}: {len(dropped)} recordings left out", flush=True)
    segment = data.segments(export)          # (N,) "recording" of the per-recording figures: one labelled run
    train_index = data.window_indices(export, split["train"], args.train_stride)
    for item in args.repeat:
        text, times = item.rsplit("=", 1)
        chosen = [r["id"] for r in export.recordings if text in (r.get("path") or "") and r["id"] in set(split["train"])]
        extra = data.window_indices(export, chosen, args.train_stride)
        train_index = np.concatenate([train_index] + [extra] * (int(times) - 1))
        print(f"--repeat {item}: {len(chosen)} training recordings, {len(extra)} windows x {times}", flush=True)
    val_index = data.window_indices(export, split["validation"])
    test_index = data.window_indices(test_export, split["test"])
    print(f"{args.name}: recordings train {len(split['train'])} / validation {len(split['validation'])} / test "
          f"{len(split['test'])} (duplicates dropped: {len(duplicates)}); windows {len(train_index)} / "
          f"{len(val_index)} / {len(test_index)}", flush=True)

    start_from = None
    if args.init_from:
        # fine-tuning: the weights were learnt on inputs normalised by the file's statistics, so those stay
        start_from, start_config = load_model(args.init_from)
        normalization = start_config["input"]["normalization"]
        print(f"--init-from {args.init_from}: its weights and normalisation ({normalization['kind']})", flush=True)
    elif args.normalization == "window-centered":
        normalization = data.window_centered_normalization(export.X, train_index)
    else:
        normalization = data.standard_normalization(export.X, train_index)
    config = model_config(args, export, normalization)
    if "idle" in export.labels:
        # the mean raw step of idle training windows: the daemon's empty-room baseline lines a room's floor up with it
        idle = train_index[export.y[train_index] == export.labels.index("idle")]
        if len(idle):
            config["input"]["idle_reference"] = data.standard_normalization(export.X, idle)["mean"]
    model = build_model(config)
    if start_from is not None:
        model.load_state_dict(start_from.state_dict(), strict=True)   # a different network fails here, by name
    parameters = sum(p.numel() for p in model.parameters())

    # training windows in memory, normalised: (n_train, steps, features)
    X_train = torch.from_numpy(data.normalize(np.asarray(export.X[train_index]), normalization))
    y_train = torch.from_numpy(export.y[train_index])
    classes = len(export.labels)
    counts = np.bincount(export.y[train_index], minlength=classes).astype(np.float64)
    class_weight = torch.tensor(np.where(counts > 0, counts.sum() / (classes * np.maximum(counts, 1)), 0),
                                dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=class_weight)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)

    best = {"score": -1.0, "epoch": -1, "state": None}
    history = []
    batches_per_epoch = (len(X_train) + args.batch - 1) // args.batch
    for epoch in range(args.epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(len(X_train)))
        total = 0.0
        for step, start in enumerate(range(0, len(order), args.batch)):
            progress = (epoch * batches_per_epoch + step) / (args.epochs * batches_per_epoch)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(args.lr, args.lr_schedule, progress)
            batch = order[start:start + args.batch]
            x = X_train[batch]
            if args.scale_augment > 0:
                x = x * torch.exp(args.scale_augment * torch.randn(len(x), 1, x.shape[2]))   # (batch, 1, features)
            if args.noise > 0:
                x = x + args.noise * torch.randn_like(x)
            if args.offset_augment > 0:
                offset = torch.randn(len(x), 1, x.shape[2]) + torch.randn(len(x), 1, 1)   # (batch, 1, features)
                x = x + args.offset_augment * offset
            loss = loss_fn(model(x), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item() * len(batch)
        val = metrics.report(predict(model, export.X, val_index, normalization), export.y[val_index],
                             segment[val_index], export.labels)
        score = 0.5 * (val["window_balanced_accuracy"] + val["balanced_accuracy"])
        history.append({"epoch": epoch, "loss": total / len(order), "validation_window_balanced_accuracy":
                        val["window_balanced_accuracy"], "validation_accuracy": val["accuracy"]})
        print(f"epoch {epoch:3d} loss {total / len(order):.4f} val window bal {val['window_balanced_accuracy']:.3f} "
              f"recording {val['accuracy']:.3f} ({time.time() - started:.0f}s)", flush=True)
        if score > best["score"]:
            best = {"score": score, "epoch": epoch, "state": {k: v.clone() for k, v in model.state_dict().items()}}
        elif epoch - best["epoch"] >= args.patience:
            print(f"early stop: best epoch {best['epoch']}", flush=True)
            break
        if time.time() - started > args.max_minutes * 60:
            print("time limit reached", flush=True)
            break
    model.load_state_dict(best["state"])

    test_probabilities = predict(model, test_export.X, test_index, normalization)
    test = metrics.report(test_probabilities, test_export.y[test_index], data.segments(test_export)[test_index],
                          export.labels)
    validation = metrics.report(predict(model, export.X, val_index, normalization), export.y[val_index],
                                segment[val_index], export.labels)
    print(f"test: accuracy per recording {test['accuracy']:.4f} (balanced {test['balanced_accuracy']:.4f}), "
          f"window {test['window_accuracy']:.4f}, {test['recordings']} recordings", flush=True)

    command = "python -m csihar_train.train " + " ".join(argv if argv is not None else sys.argv[1:])
    config["training"] = {
        "dataset": os.path.abspath(args.data), "source": export.meta.get("source", "csihar dataset export"),
        "split": args.split, "seed": args.seed, "recordings": {k: len(v) for k, v in split.items()},
        "windows": {"train": int(len(train_index)), "validation": int(len(val_index)), "test": int(len(test_index))},
        "best_epoch": best["epoch"], "test_accuracy": test["accuracy"], "test_window_accuracy": test["window_accuracy"],
        "command": command, "commit": git_commit(), "torch": torch.__version__,
    }
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        model.eval()
        export_model(model, config, args.out)
        print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)", flush=True)
    if args.report:
        report = {
            "name": args.name, "args": vars(args), "command": command, "models_source": MODELS_SOURCE,
            "parameters": int(parameters), "best_epoch": best["epoch"], "history": history,
            "split": split, "duplicates": sorted(duplicates),
            "test_data": args.test_data,
            "test_recording_paths": [test_export.recordings[i].get("path") for i in split["test"]],
            "validation": validation, "test": test,
            "latency_ms_pytorch_batch1": latency_ms(model, X_train.shape[1], X_train.shape[2]),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), torch {torch.__version__}, "
                       f"{args.threads} threads",
            "train_seconds": time.time() - started,
            "config": {k: v for k, v in config.items() if k != "input"},
            "input": {k: v for k, v in config["input"].items() if k != "normalization"},
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        json.dump(report, open(args.report, "w"), indent=1)
    return test


if __name__ == "__main__":
    main()
