#!/usr/bin/env python3
"""Prints a `csihar simulate --script` of about SECONDS of daily life with no fall, from SEED:
walking between places, sitting down and standing up, lying down to rest and getting up, picking things up, long
still periods (sitting, lying, standing). Usage: daily_life.py SEED [SECONDS]"""
import random
import sys

seed = int(sys.argv[1])
total = float(sys.argv[2]) if len(sys.argv) > 2 else 3600
rng = random.Random(seed)
items, t, pose = [], 0.0, "standing"


def add(name, seconds):
    global t
    # one label per continuous activity: a walk followed by a walk is one longer walk
    if items and items[-1][0] == name:
        items[-1] = (name, items[-1][1] + seconds)
    else:
        items.append((name, seconds))
    t += seconds


add("idle", rng.uniform(5, 30))
while t < total:
    if pose == "standing":
        choice = rng.choices(["walk", "sit", "lie", "pick", "stand still"], [4, 3, 1, 1, 2])[0]
        if choice == "walk":
            add("walk", rng.uniform(3, 15))
        elif choice == "sit":
            add("walk", rng.uniform(2, 6)); add("sit down", rng.uniform(2.5, 4)); pose = "sitting"
        elif choice == "lie":
            add("walk", rng.uniform(2, 6)); add("lie down", rng.uniform(2.5, 4)); pose = "lying"
        elif choice == "pick":
            add("pick up", rng.uniform(2.5, 4))
        else:
            add("idle", rng.uniform(5, 60))
    elif pose == "sitting":
        add("idle", rng.uniform(20, 300)); add("stand up", rng.uniform(2.5, 4)); pose = "standing"
    else:
        add("idle", rng.uniform(60, 600)); add("stand up", rng.uniform(2.5, 4)); pose = "standing"
print(", ".join(f"{name} {seconds:.1f}s" for name, seconds in items))
