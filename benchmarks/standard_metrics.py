"""FID, KID, precision/recall and density/coverage of each model's defaults, with the real-data
floors (nbgen.sample_quality: features of benchmarks/train_feature_net.py's networks).

Run:  python benchmarks/standard_metrics.py [--data digits] [--models vae gan diffusion] [--seeds 1]
      python benchmarks/standard_metrics.py --cost    # what the metrics add to evaluate()
      python benchmarks/standard_metrics.py --noise   # their spread between samples of real data

Trains each model with its defaults on the data (seed 0, 1...), draws 2,500 samples and prints a
markdown table: the metrics of the samples against the held-out rows, and on the last line the
floor (the training rows against the held-out rows). Lower FID/KID are better; precision,
recall and coverage are shares (1 at best), density is about 1 when samples spread like data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import nbgen

NAMES = ("fid", "kid", "precision", "recall", "density", "coverage")


def cost(repeats: int = 3) -> None:
    """Seconds evaluate() takes with and without the standard metrics (GAN after one epoch,
    2,500 samples; the median of ``repeats`` calls after one warm-up call)."""
    from nbgen import sample_quality

    print(f"evaluate() with and without the standard metrics, median of {repeats}, {time.strftime('%Y-%m-%d')}")
    print("| data | evaluate() s | without the metrics s | added s | metrics' keys |")
    print("|---|---|---|---|---|")
    for data in ("digits", "mnist5k", "ring"):
        s = nbgen.train("gan", data, epochs=1, progress=False)
        keys = sorted(k for k in s.evaluate() if k.endswith("_floor"))

        def timed(s=s) -> float:
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                s.evaluate()
                times.append(time.perf_counter() - t)
            return statistics.median(times)

        with_metrics = timed()
        with mock.patch.object(sample_quality, "standard", lambda *a, **k: {}):
            s.evaluate()
            without = timed()
        names = ", ".join(k[: -len("_floor")] for k in keys)
        print(f"| {data} | {with_metrics:.2f} | {without:.2f} | {with_metrics - without:.2f} | {names} |", flush=True)


def noise(data: str, draws: int = 40) -> None:
    """Each metric between two disjoint random sets of training rows, each the size of the
    held-out split: its spread over ``draws`` draws is the noise a difference must clear."""
    import numpy as np

    from nbgen import sample_quality as sq

    ds = nbgen.datasets.load(data)
    feats, n = sq.features(ds.train_sample(), data), len(ds.model_val)
    rng = np.random.default_rng(0)
    values = []
    for _ in range(draws):
        idx = rng.permutation(len(feats))
        a, b = feats[idx[:n]], feats[idx[n : 2 * n]]
        values.append((sq.fid(a, b), sq.kid(a, b), *sq.precision_recall(a, b), *sq.density_coverage(a, b)))
    values = np.array(values)
    print(f"{data}: metrics between two disjoint sets of {n} training rows, {draws} draws (mean +- std)")
    for name, col in zip(NAMES, values.T):
        print(f"  {name:<10} {col.mean():8.3f} +- {col.std():.3f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="digits", choices=["digits", "mnist5k"])
    p.add_argument("--models", nargs="+", default=["vae", "gan", "diffusion"])
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--cost", action="store_true", help="time what the metrics add to evaluate() instead")
    p.add_argument("--noise", action="store_true", help="the metrics' spread between sets of real rows instead")
    args = p.parse_args(argv)
    if args.noise:
        noise(args.data)
        return 0
    if args.cost:
        cost()
        return 0
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
