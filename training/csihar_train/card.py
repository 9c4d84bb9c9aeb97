"""Writes a model card (markdown) from a training report, optional cross-setting reports and a parity report.

    python -m csihar_train.card --report training/reports/wiar-gru.json --model models/wiar-gru.safetensors \
        --reproduce "training/train_wiar.sh gru" --about training/cards/wiar.md --out models/wiar-gru.md \
        [--cross training/reports/wiar-gru-cross-*.json] [--parity training/reports/wiar-gru-parity.json]
"""
import argparse
import hashlib
import json
import os
import struct


ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def shown(path):
    """A path as seen from the repository root."""
    return os.path.relpath(os.path.abspath(path), ROOT) if path else path


def percent(value):
    return "n/a" if value is None else f"{100 * value:.1f}%"


def confusion_table(labels, matrix):
    short = [str(i) for i in range(len(labels))]
    lines = ["| true \\ predicted | " + " | ".join(short) + " |", "|---" * (len(labels) + 1) + "|"]
    for i, row in enumerate(matrix):
        lines.append(f"| {i} {labels[i]} | " + " | ".join(str(v) if v else "." for v in row) + " |")
    return "\n".join(lines)


def normalisation_text(model_path, report):
    """How the model normalises its input, from the model file's input spec (the training args if unreadable)."""
    kind = report["args"].get("normalization", "standard")
    if model_path and os.path.exists(model_path):
        kind = load_config(model_path)["input"].get("normalization", {}).get("kind", kind)
    if kind == "window-centered":
        return ("`window-centered` (each window's per-feature mean over its steps removed, then divided by the "
                "per-feature std of centred training windows, stored in the file; docs/model-format.md)")
    if kind == "minmax":
        return "`minmax` (one scalar min/max pair, stored in the file)"
    return "`standard` (per-feature mean/std of the training split, stored in the file)"


def load_config(path):
    """The csihar config (JSON) of a `.safetensors` model file."""
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
    return json.loads(header["__metadata__"]["csihar"])


def ratio(value):
    return "n/a" if value is None else f"{value:.3f}"


def events_section(events):
    """Events as users meet them (Benchmarks/recognition/run.sh summary.json), next to the published anchors."""
    a = events["activities"]
    acc = events.get("activities_accuracy", {})
    daily = events["daily_life"]
    out = ["## Events as a user meets them (held-out simulated rooms)", "",
           "`csihar evaluate --events`: each recording through the daemon's exact path (features, windows, engine, "
           "smoother, events), events matched to the label sidecar (an activity is found when an "
           "`activity.started` of the same activity reports a `start_time` within 1.5 s of the labelled start, one to "
           "one; "
           "falls by `fall.detected` from 1.5 s before to 3 s after the fall). Rooms, people, placements and speeds "
           f"never used in training or tuning: seeds {events['activities_seeds']} ({a['captures']} recordings, "
           f"{a['hours']:.2f} h), daily life seeds {daily['seeds']} ({daily['hours']:.1f} h, no fall).", "",
           "| figure | value |", "|---|---|",
           f"| event precision / recall / F1 | {ratio(a['event_precision'])} / {ratio(a['event_recall'])} / "
           f"**{ratio(a['event_f1'])}** |",
           f"| fall recall | **{ratio(a['fall_recall'])}** ({a['per_activity'].get('fall', {}).get('found', 'n/a')} of "
           f"{a['per_activity'].get('fall', {}).get('truth', 'n/a')}) |",
           f"| false falls per hour of non-fall activity recordings | {ratio(a['false_falls_per_hour'])} "
           f"({a['false_falls']} false falls) |",
           f"| false falls per day of daily life | **{ratio(daily['false_falls_per_day'])}** "
           f"({daily['false_falls']} in {daily['hours']:.1f} h) |",
           f"| median onset delay (activity.started after the labelled start) | {ratio(a['onset_delay_median_s'])} s |",
           f"| median fall delay (fall.detected after the fall started; includes the 2 s confirmation) | "
           f"{ratio(a.get('fall_delay_median_s'))} s |"]
    if acc:
        out.append(f"| accuracy per recording / per window (same recordings) | {percent(acc.get('accuracy'))} / "
                   f"{percent(acc.get('window_accuracy'))} |")
    out += ["", "| activity | truth | predicted | precision | recall | F1 |", "|---|---|---|---|---|---|"]
    for name, v in sorted(a["per_activity"].items()):
        out.append(f"| {name} | {v['truth']} | {v['predicted']} | {ratio(v['precision'])} | {ratio(v['recall'])} | "
                   f"{ratio(v['f1'])} |")
    out += ["", "Bundled samples (`csihar evaluate --events --capture samples/...`):", "",
            "| sample | event F1 | fall recall | false falls |", "|---|---|---|---|"]
    for name, v in events["samples"].items():
        out.append(f"| {name} | {ratio(v['event_f1'])} | {ratio(v['fall_recall'])} | {v['false_falls']} |")
    out += ["", "Anchors (../shared/docs/har-anchors.md): SenseFi on UT-HAR reports GRU 93% and CNN+GRU 97% window "
            "accuracy on a split that leaks (windows of the same recordings on both sides); leak-free splits land "
            "below 50%, and published cross-room tests drop to about 30%. The figures above are per event and per "
            "recording on rooms never seen, but on SIMULATED CSI: they say what the recogniser can do when the "
            "simulator is right, not what it does in a real home.", ""]
    return out


def device_section(summary, louo):
    """Per device family events, daily life, samples and real Fition figures (Benchmarks/recognition/devices.sh)."""
    out = ["## Events as a user meets them, per device family (held-out simulated rooms)", "",
           "`csihar evaluate --events` (the daemon's exact path; matching as in the default model's card) on "
           f"{summary['count_per_family']} recordings per family in rooms, people, placements and speeds never used "
           "in training or tuning (seeds in `Benchmarks/recognition/devices.sh`).", "",
           "| family | hours | event P / R / F1 | fall recall | false falls per hour | median onset delay |",
           "|---|---|---|---|---|---|"]
    for name, v in summary["families"].items():
        out.append(f"| {name} | {v['hours']:.2f} | {ratio(v['event_precision'])} / {ratio(v['event_recall'])} / "
                   f"**{ratio(v['event_f1'])}** | **{ratio(v['fall_recall'])}** | {ratio(v['false_falls_per_hour'])} | "
                   f"{ratio(v['onset_delay_median_s'])} s |")
    daily = summary["daily_life"]
    out += ["", f"Daily life (simulated one-hour recordings of the profile's device, no fall; `Benchmarks/recognition/devices.sh`): {daily['false_falls']} false falls in "
            f"{daily['hours']:.1f} h = **{ratio(daily['false_falls_per_day'])} per day**.", "",
            "| activity | " + " | ".join(summary["families"]) + " |", "|---" * (len(summary["families"]) + 1) + "|"]
    names = sorted({a for v in summary["families"].values() for a in v["per_activity"]})
    for a in names:
        out.append(f"| {a} F1 | " + " | ".join(ratio(v["per_activity"].get(a, {}).get("f1"))
                                               for v in summary["families"].values()) + " |")
    out += ["", "Bundled samples:", "", "| sample | event F1 | fall recall | false falls |", "|---|---|---|---|"]
    for name, v in summary["samples"].items():
        out.append(f"| {name} | {ratio(v['event_f1'])} | {ratio(v['fall_recall'])} | {v['false_falls']} |")
    if summary.get("fition"):
        out += ["", "## Real Raspberry Pi recordings (Fition), one activity per 10 s recording", "",
                "As the dataset labels them: a fall recording counts when csihard's path reports a `fall.detected`; any "
                "other recording with a `fall.detected` counts against the model. **Users 1 and 3 are in this "
                "model's training data** (the figures say it learnt them, not that it generalises); the "
                "leave-one-user-out rows below do not see the tested user.", "",
                "| model | user | falls reported in fall recordings | other recordings with a fall | per activity (with fall / recordings) |",
                "|---|---|---|---|---|"]
        for user, v in sorted(summary["fition"].items()):
            acts = ", ".join(f"{a} {n[1]}/{n[0]}" for a, n in sorted(v["by_activity"].items()))
            out.append(f"| shipped | {user} | **{v['falls_reported']}/{v['fall_recordings']}** | "
                       f"{v['others_with_fall']}/{v['other_recordings']} | {acts} |")
        for tested, v in louo:
            acts = ", ".join(f"{a} {n[1]}/{n[0]}" for a, n in sorted(v["by_activity"].items()))
            out.append(f"| trained without {tested} | {tested} | **{v['falls_reported']}/{v['fall_recordings']}** | "
                       f"{v['others_with_fall']}/{v['other_recordings']} | {acts} |")
    out += ["", "Anchors (../shared/docs/har-anchors.md): leak-free splits of real CSI land below 50% per window, "
            "cross-room tests about 30%; the simulated figures say what the recogniser does when the simulator is "
            "right, the Fition rows what it does on a real Raspberry Pi.", ""]
    return out


def render(report, model_path, reproduce, about, cross, parity, events=None, device_events=None, louo=()):
    test, validation = report["test"], report["validation"]
    config, input_spec = report["config"], report["input"]
    labels = test["labels"]
    size = os.path.getsize(model_path) if model_path and os.path.exists(model_path) else None
    digest = hashlib.sha256(open(model_path, "rb").read()).hexdigest()[:16] if size else "n/a"
    arch = config["architecture"]
    shape = f"hidden {config['hidden_size']}, layers {config.get('num_layers', 1)}"
    if arch == "ablstm":
        shape += f", attention {config['attention_size']}"
    out = [f"# Model card: `{report['name']}`", ""]
    if about:
        out += [about.strip(), ""]
    out += [
        "## Model",
        "",
        f"- File: `{shown(model_path)}` ({size} bytes, sha256 {digest}...), format `docs/model-format.md`.",
        f"- Architecture: `{arch}` ({shape}), {report['parameters']:,} parameters, {len(labels)} classes.",
        f"- Input: {input_spec['steps']} steps x {input_spec['features']} features at {input_spec['sample_rate_hz']} Hz "
        f"({input_spec['steps'] / input_spec['sample_rate_hz']:.2f} s), layout `{input_spec.get('layout')}`, "
        f"transform `{input_spec.get('transform')}`; normalisation {normalisation_text(model_path, report)}.",
        f"- Labels: " + ", ".join(f"{i} {name}" for i, name in enumerate(labels)) + ".",
        "",
        "## Data and split",
        "",
        f"- Dataset export: `{shown(os.path.join(ROOT, 'training', report['args']['data']))}`"
        + (f" (test: `{shown(os.path.join(ROOT, 'training', report['test_data']))}`)" if report.get("test_data") else "")
        + f"; split `{report['args']['split']}`, seed {report['args']['seed']}"
        f" (splits are by recording, never by window).",
        f"- Recordings: train {len(report['split']['train'])}, validation {len(report['split']['validation'])}, "
        f"test {len(report['split']['test'])}; windows: test {test['windows']}.",
        f"- Training: Adam lr {report['args']['lr']}, batch {report['args']['batch']}, class-weighted cross entropy, "
        f"early stopping on validation balanced accuracy (best epoch {report['best_epoch']}, patience "
        f"{report['args']['patience']}), {report['train_seconds'] / 60:.1f} min on {report['machine']}.",
        "",
        "## Results on the held-out test recordings",
        "",
        "| figure | value |",
        "|---|---|",
        f"| accuracy per recording (window probabilities averaged over the recording) | **{percent(test['accuracy'])}** |",
        f"| balanced accuracy per recording | {percent(test['balanced_accuracy'])} |",
        f"| window accuracy | {percent(test['window_accuracy'])} |",
        f"| window balanced accuracy | {percent(test['window_balanced_accuracy'])} |",
        f"| validation accuracy per recording | {percent(validation['accuracy'])} |",
        "",
        "Per-class recall (per recording):",
        "",
        "| class | recall |",
        "|---|---|",
    ]
    out += [f"| {name} | {percent(value)} |" for name, value in test["per_class_recall"].items()]
    out += ["", "Confusion matrix (test recordings; rows true, columns predicted):", "",
            confusion_table(labels, test["confusion"]), ""]
    if cross:
        out += ["## Cross-setting figures", "",
                "| train groups | test groups | recordings | accuracy per recording | balanced | window accuracy |",
                "|---|---|---|---|---|---|"]
        for c in cross:
            out.append(f"| {c['args']['train_groups']} | {c['args']['test_groups']} | {c['test']['recordings']} | "
                       f"{percent(c['test']['accuracy'])} | {percent(c['test']['balanced_accuracy'])} | "
                       f"{percent(c['test']['window_accuracy'])} |")
        out += ["", f"Command: `{cross[0]['command'].split(' --test-groups')[0]} ...` (see `training/train_wiar.sh "
                "cross`).", ""]
    if events:
        out += events_section(events)
    if device_events:
        out += device_section(device_events, louo)
    out += ["## Latency and parity", "",
            f"- PyTorch CPU, batch 1, median of 50: {report['latency_ms_pytorch_batch1']:.2f} ms per window "
            f"({report['machine']})."]
    if parity:
        out.append(f"- Swift engine vs PyTorch on {parity['windows']} test windows: predicted class equal on "
                   f"**{percent(parity['agreement'])}** ({parity['disagreements']} differ), max |logit difference| "
                   f"{parity['max_abs_logit_diff']:.2e}. Command: `{parity['command']}`.")
        if parity.get("swift_ms_per_window") is not None:
            build = " debug build," if "/debug/" in parity.get("csihar", "") else ""
            out.append(f"- Swift engine (`csihar predict`,{build} batch of {parity['windows']}): "
                       f"{parity['swift_ms_per_window']:.3f} ms per window wall time including file I/O and start-up "
                       "(a parity run, not a benchmark: see BENCHMARKS.md).")
    else:
        out.append("- Swift engine vs PyTorch parity: not measured yet: the Swift engine (CSIInference) was not in main "
                   "when this card was written; `training/parity.py` does the check (`csihar predict` on the test "
                   "windows vs PyTorch logits).")
    out += ["", "## Reproduce", "", "```", reproduce, "```", "",
            f"Exact training command: `{report['command']}`", ""]
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--report", required=True)
    p.add_argument("--model")
    p.add_argument("--reproduce", required=True)
    p.add_argument("--about", help="markdown file with the card's opening paragraphs")
    p.add_argument("--cross", nargs="*", default=[])
    p.add_argument("--parity")
    p.add_argument("--events", help="summary.json of Benchmarks/recognition/run.sh")
    p.add_argument("--device-events", help="summary.json of Benchmarks/recognition/devices.sh")
    p.add_argument("--louo", nargs="*", default=[], help="USER=summary.json of Benchmarks/recognition/devices.sh runs of models trained "
                                                          "without that Fition user")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    report = json.load(open(args.report))
    about = open(args.about).read() if args.about else ""
    cross = [json.load(open(c)) for c in args.cross if os.path.exists(c)]
    parity = json.load(open(args.parity)) if args.parity and os.path.exists(args.parity) else None
    events = json.load(open(args.events)) if args.events and os.path.exists(args.events) else None
    device_events = json.load(open(args.device_events)) if args.device_events and os.path.exists(args.device_events) else None
    louo = []
    for item in args.louo:
        user, path = item.split("=", 1)
        if os.path.exists(path):
            louo.append((user, json.load(open(path))["fition"][user]))
    open(args.out, "w").write(render(report, args.model, args.reproduce, about, cross, parity, events,
                                     device_events, louo))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
