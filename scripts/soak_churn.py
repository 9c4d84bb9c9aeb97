#!/usr/bin/env python3
"""Helpers of scripts/soak.sh (standard library only).

Churn mode (default): N threads connect to csihard's socket over and over, each time behaving like a different
client (reads for a while, asks for predictions, asks for status, never reads, hangs up at once), while another
thread samples the daemon's resident memory every second into a CSV; ends when the daemon exits (or on SIGINT).

--check mode: compares the steady subscriber's events of the soak run with the reference run, checks the frame
counters and the memory growth, prints the figures and exits 1 when a check fails.
"""
import argparse
import json
import os
import random
import socket
import sys
import threading
import time

IGNORED_TYPES = {"daemon.heartbeat", "subscriber.gap", "prediction", "error", "status"}
IGNORED_KEYS = {"seq", "wall_time"}
# Probabilities come out of OpenBLAS GEMMs whose blocking depends on the batch size (several windows per batch at
# max speed, one at 20x), so confidences may differ in the last float digits; everything else must be equal.
TOLERANCE = 1e-5


def same(a, b):
    """(equal within TOLERANCE for non-integer numbers and exactly otherwise, largest numeric difference)."""
    if a.keys() != b.keys():
        return False, float("inf")
    largest = 0.0
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, float) or isinstance(y, float):
            if not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
                return False, float("inf")
            largest = max(largest, abs(x - y))
            if abs(x - y) > TOLERANCE:
                return False, largest
        elif x != y:
            return False, float("inf")
    return True, largest


def alive(pid):
    return os.path.exists(f"/proc/{pid}")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def sampler(pid, path, stop):
    start = time.monotonic()
    with open(path, "w") as out:
        out.write("seconds,rss_kib\n")
        while alive(pid) and not stop.is_set():
            value = rss_kib(pid)
            if value is not None:
                out.write(f"{time.monotonic() - start:.1f},{value}\n")
                out.flush()
            time.sleep(1)


def churner(index, path, pid, stop, counts, lock):
    rng = random.Random(1000 + index)
    while alive(pid) and not stop.is_set():
        kind = rng.choice(["reader", "predictions", "status", "stalled", "hangup"])
        try:
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(path)
        except OSError:
            time.sleep(0.05)
            continue
        try:
            client.settimeout(0.2)
            if kind == "predictions":
                client.sendall(b'{"types":["prediction","activity.started","daemon.heartbeat"]}\n')
            elif kind == "status":
                client.sendall(b'{"request":"status"}\n')
            if kind == "stalled":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
                time.sleep(rng.uniform(0.5, 3))
            elif kind != "hangup":
                end = time.monotonic() + rng.uniform(0.1, 2.5)
                while time.monotonic() < end:
                    try:
                        if not client.recv(65536):
                            break
                    except socket.timeout:
                        pass
        except OSError:
            pass
        finally:
            client.close()
        with lock:
            counts[kind] = counts.get(kind, 0) + 1


def churn(args):
    stop = threading.Event()
    counts, lock = {}, threading.Lock()
    threads = [threading.Thread(target=sampler, args=(args.pid, args.rss, stop), daemon=True)]
    threads += [threading.Thread(target=churner, args=(i, args.socket, args.pid, stop, counts, lock), daemon=True)
                for i in range(args.clients)]
    for thread in threads:
        thread.start()
    try:
        while alive(args.pid):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop.set()
    for thread in threads:
        thread.join(timeout=4)
    total = sum(counts.values())
    with open(os.path.join(os.path.dirname(args.rss), "churn.txt"), "w") as out:
        out.write(f"{total} " + " ".join(f"{k}={v}" for k, v in sorted(counts.items())) + "\n")


def events(path):
    kept, gaps = [], 0
    with open(path) as lines:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            event = json.loads(line)
            if event.get("type") == "subscriber.gap":
                gaps += 1
            if event.get("type") in IGNORED_TYPES:
                continue
            kept.append({k: v for k, v in event.items() if k not in IGNORED_KEYS})
    return kept, gaps


def final_counters(path):
    counters = {}
    with open(path) as log:
        for line in log:
            if "final counters:" in line:
                for field in line.split("final counters:")[1].split():
                    key, _, value = field.partition("=")
                    counters[key] = int(value)
    return counters


def check(args):
    failures = []
    ref, ref_gaps = events(os.path.join(args.dir, "ref.ndjson"))
    soak, soak_gaps = events(os.path.join(args.dir, "soak.ndjson"))
    comparisons = [same(a, b) for a, b in zip(ref, soak)]
    identical = len(ref) == len(soak) and all(equal for equal, _ in comparisons)
    exact = ref == soak
    max_difference = max((difference for _, difference in comparisons), default=0.0)
    first_difference = next((i for i, (equal, _) in enumerate(comparisons) if not equal), min(len(ref), len(soak)))
    if not identical:
        failures.append(f"event sequences differ at #{first_difference}: "
                        f"ref {ref[first_difference] if first_difference < len(ref) else 'end'} / "
                        f"soak {soak[first_difference] if first_difference < len(soak) else 'end'}")
    if soak_gaps or ref_gaps:
        failures.append(f"gap notices: ref {ref_gaps}, soak {soak_gaps}")
    types = {}
    for event in soak:
        types[event["type"]] = types.get(event["type"], 0) + 1

    counters = final_counters(os.path.join(args.dir, "soak.log"))
    ref_counters = final_counters(os.path.join(args.dir, "ref.log"))
    for name, values in (("soak", counters), ("ref", ref_counters)):
        if not values:
            failures.append(f"no final counters in {name}.log")
            continue
        if not (values["frames_read"] == args.frames == values["frames"]):
            failures.append(f"{name}: frames in capture {args.frames}, read {values['frames_read']}, "
                            f"pipeline {values['frames']}")
        if values["dropped"] or values["rejected"] or values.get("abandoned", 0) or values.get("shed", 0):
            failures.append(f"{name}: dropped {values['dropped']}, rejected {values['rejected']}, "
                            f"abandoned at shutdown {values.get('abandoned', 0)}, shed {values.get('shed', 0)}")

    samples = []
    with open(os.path.join(args.dir, "rss.csv")) as csv:
        next(csv)
        for line in csv:
            seconds, kib = line.strip().split(",")
            samples.append((float(seconds), int(kib)))
    warmup = max(30.0, samples[-1][0] / 6) if samples else 0
    after = [kib for seconds, kib in samples if seconds >= warmup]
    if len(after) < 10:
        failures.append(f"only {len(after)} RSS samples after the {warmup:.0f} s warm-up")
        after = after or [0]
    base, end, peak = after[0], after[-1], max(after)
    growth = 100.0 * (end - base) / base if base else 0
    peak_growth = 100.0 * (peak - base) / base if base else 0
    if growth >= 5:
        failures.append(f"RSS grew {growth:.2f}% after warm-up")

    wall = {name: open(os.path.join(args.dir, f"{name}.seconds")).read().strip() for name in ("ref", "soak")}
    churn_text = open(os.path.join(args.dir, "churn.txt")).read().strip() if os.path.exists(os.path.join(args.dir, "churn.txt")) else "?"
    print(f"capture: {args.duration} s of capture time, {args.frames} frames; soak at {args.speed}x took {wall['soak']} s wall "
          f"(reference at max speed {wall['ref']} s)")
    print(f"RSS: start {samples[0][1] if samples else 0} KiB, after {warmup:.0f} s warm-up {base} KiB, end {end} KiB, "
          f"peak {peak} KiB; growth after warm-up {growth:+.2f}% (peak {peak_growth:+.2f}%)")
    print(f"frames: capture {args.frames}, read {counters.get('frames_read')}, pipeline {counters.get('frames')}, "
          f"dropped {counters.get('dropped')}, rejected {counters.get('rejected')}; "
          f"windows {counters.get('windows')}, events published {counters.get('events')}")
    print(f"events compared (no seq/wall_time/heartbeat/gap/prediction): ref {len(ref)}, soak {len(soak)}, "
          f"identical {identical} (bit-exact {exact}, max numeric difference {max_difference:.1e}, tolerance {TOLERANCE:.0e}); "
          f"by type {dict(sorted(types.items()))}")
    print(f"churn: connections {churn_text}")
    for failure in failures:
        print(f"FAIL: {failure}")
    print("soak: PASS" if not failures else "soak: FAIL")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--socket")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--rss")
    parser.add_argument("--dir")
    parser.add_argument("--frames", type=int)
    parser.add_argument("--duration", type=int)
    parser.add_argument("--speed")
    args = parser.parse_args()
    if args.check:
        sys.exit(check(args))
    churn(args)


if __name__ == "__main__":
    main()
