"""The live FID curve (nbgen.frames, issue 29): its values over a short run and what it costs.

Run:  python benchmarks/live_fid.py [--epochs 20] [--repeats 3]

1. A VAE on the digits (defaults, seed 0) trained for ``--epochs`` with frames kept: the FID at
   each step that has one, and the floor (500 real training rows against the held-out rows).
2. Cost: the same run with frames and the FID, with frames only, and headless without frames,
   in one process (warm), ``--repeats`` times in turn; seconds per run and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import nbgen


def run(epochs: int, frames: bool, fid: bool = True) -> tuple[float, nbgen.Session]:
    s = nbgen.Session("vae", "digits", epochs=epochs, seed=0)
    if frames:
        s.frames.start()
    if not fid:
        s.frames._measure_fid = lambda *a: None
    t0 = time.perf_counter()
    s.train()
    return time.perf_counter() - t0, s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"# live FID, VAE on digits, {args.epochs} epochs, seed 0, {time.strftime('%Y-%m-%d %H:%M')}")
    _, s = run(args.epochs, True)
    curve = ", ".join(f"{k}: {v:.2f}" for k, v in sorted(s.frames.fid.items()))
    print(f"FID by step: {curve}; floor {s.frames.fid_floor:.2f}")
    run(args.epochs, False)  # warm
    times: dict[str, list[float]] = {"frames and FID": [], "frames": [], "neither": []}
    for _ in range(args.repeats):
        times["frames and FID"].append(run(args.epochs, True)[0])
        times["frames"].append(run(args.epochs, True, fid=False)[0])
        times["neither"].append(run(args.epochs, False)[0])
    print("| run | seconds (each) | median |")
    print("|---|---|---|")
    for name, ts in times.items():
        print(f"| {name} | {' '.join(f'{t:.2f}' for t in ts)} | {statistics.median(ts):.2f} |")


if __name__ == "__main__":
    main()
