"""Seconds that the latent panel's t-SNE takes for a number of points (nbgen.ui.embedding).

Run:  python benchmarks/tsne_time.py [--points 200 300 360] [--repeats 3]

A VAE with ``latent_dim=8`` trained 2 epochs on the digits; its codes of the first n validation
rows embedded by :func:`nbgen.ui.embedding.tsne` (what t-SNE mode computes, in its own thread).
Prints the best and the median of ``--repeats`` runs per n, as a markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    import numpy as np

    import nbgen
    from nbgen.ui.embedding import tsne

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, nargs="+", default=[200, 300, 360])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    s = nbgen.train("vae", "digits", epochs=2, latent_dim=8)
    ds = s.dataset
    codes = s.encode(ds.to_rows(ds.model_val))
    tsne(codes[:50])  # import sklearn and warm up outside the timings
    print(f"validation rows: {len(codes)}; load average: {os.getloadavg()[0]:.1f}\n")
    print("| points | best s | median s |\n|---|---|---|")
    for n in args.points:
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            tsne(codes[:n])
            times.append(time.perf_counter() - t0)
        print(f"| {min(n, len(codes))} | {min(times):.2f} | {float(np.median(times)):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
