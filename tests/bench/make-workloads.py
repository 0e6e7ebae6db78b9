#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the replay simulator's workloads (tests/bench/workloads/*.json), the same every run.

Ten models, five of images (medians 15-60 s) and five of videos (1.5-5 min). Each task waits in
Kie.ai's queue for a while (exponential, mean 3 s) and then generates for a time drawn around its
model's median. Each workload holds the history the window's ledger would have (25 finished tasks
of each model, drawn the same way) and the tasks added while it runs:

  clustered-30   30 tasks added over a minute; each model's durations within about +-12 %
  spread-30      the same, with a wide spread (sigma 0.5: half to twice the median)
  heavy-tail-30  clustered, but one task in ten takes two to four times as long
  burst-300      300 clustered tasks pasted at once
"""
import json
import math
import os
import random

MODELS = [
    ("bytedance/seedream-v4-text-to-image", 15),
    ("google/nano-banana", 20),
    ("flux-2/pro-text-to-image", 28),
    ("ideogram/v3-text-to-image", 40),
    ("qwen/image-edit", 60),
    ("kling/v2-1-standard", 90),
    ("hailuo/02-text-to-video", 120),
    ("wan/2-5-image-to-video", 180),
    ("sora-2-text-to-video", 240),
    ("veo3_fast", 300),
]


def draw(rng, median, sigma, tail):
    run = median * math.exp(rng.gauss(0, sigma))
    if tail and rng.random() < 0.1:
        run *= rng.uniform(2, 4)
    queue = min(rng.expovariate(1 / 3.0), 30)
    return int(queue * 1000), int(run * 1000)


def workload(name, description, seed, sigma, tail, n, add_over_ms):
    rng = random.Random(seed)
    history = []
    for model, median in MODELS:
        for _ in range(25):
            q, r = draw(rng, median, sigma, tail)
            history.append({"model": model, "queueMs": q, "runMs": r})
    tasks = []
    for i in range(n):
        model, median = MODELS[i % len(MODELS)] if n <= 30 else rng.choice(MODELS)
        q, r = draw(rng, median, sigma, tail)
        tasks.append({"model": model, "addMs": int(rng.uniform(0, add_over_ms)), "queueMs": q, "runMs": r})
    tasks.sort(key=lambda t: t["addMs"])
    return {"name": name, "description": description, "history": history, "tasks": tasks}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads")
    os.makedirs(out, exist_ok=True)
    for w in [
        workload("clustered-30", "30 tasks of ten models added over a minute, durations within about 12 % of each model's median", 1, 0.12, False, 30, 60000),
        workload("spread-30", "the same with a wide spread (sigma 0.5)", 2, 0.5, False, 30, 60000),
        workload("heavy-tail-30", "clustered, one task in ten two to four times as long", 3, 0.15, True, 30, 60000),
        workload("burst-300", "300 clustered tasks pasted at once", 4, 0.12, False, 300, 2000),
    ]:
        with open(os.path.join(out, w["name"] + ".json"), "w") as f:
            json.dump(w, f, indent=None, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
