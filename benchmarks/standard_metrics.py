"""FID, KID, precision/recall and density/coverage of each model's defaults, with the real-data
floors (nbgen.sample_quality: features of benchmarks/train_feature_net.py's networks).

Run:  python benchmarks/standard_metrics.py [--data digits] [--models vae gan diffusion] [--seeds 1]

Trains each model with its defaults on the data (seed 0, 1...), draws 2,500 samples and prints a
markdown table: the metrics of the samples against the held-out rows, and on the last line the
floor (the training rows against the held-out rows). Lower FID/KID are better; precision,
recall and coverage are shares (1 at best), density is about 1 when samples spread like data.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import nbgen

NAMES = ("fid", "kid", "precision", "recall", "density", "coverage")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="digits", choices=["digits", "mnist5k"])
    p.add_argument("--models", nargs="+", default=["vae", "gan", "diffusion"])
    p.add_argument("--seeds", type=int, default=1)
    args = p.parse_args(argv)
    print(f"standard metrics on {args.data}, defaults, 2,500 samples, {time.strftime('%Y-%m-%d')}")
    print("| model | seed | " + " | ".join(NAMES) + " | train s |")
    print("|---|---|" + "---|" * (len(NAMES) + 1))
    floor = None
    for model in args.models:
        for seed in range(args.seeds):
            t = time.perf_counter()
            s = nbgen.train(model, args.data, seed=seed, progress=False)
            took = time.perf_counter() - t
            e = s.evaluate()
            floor = {k: e[f"{k}_floor"] for k in NAMES}
            print(f"| {model} | {seed} | " + " | ".join(f"{e[k]:.3f}" for k in NAMES) + f" | {took:.0f} |", flush=True)
    if floor:
        print("| real data (floor: training vs held-out rows) | | " + " | ".join(f"{floor[k]:.3f}" for k in NAMES) + " | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
