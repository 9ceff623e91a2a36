"""What a VAE's "nats" are on grey-level data: the Bernoulli decoder's cross-entropy and its
entropy floor, against the continuous Bernoulli, a density on [0, 1] (issue 29).

Run:  python benchmarks/likelihood.py [--data digits] [--latent 2 8] [--seeds 0] [--k 100]

For each latent size and likelihood it trains the VAE's defaults (``nbgen.train``) and prints
the held-out negative ELBO and importance-sampled bound (``evaluate(k=...)``), the samples'
FID against the held-out rows (nbgen's features) and the wall time. It also prints the
entropy floor: the mean over held-out rows of the sum of each pixel's binary entropy
H(x) = -x log x - (1 - x) log(1 - x), below which no Bernoulli decoder's cross-entropy can go,
because a grey pixel (0 < x < 1) is not a Bernoulli outcome. So the Bernoulli's nats on grey
levels are not -log p(x) of any density; the continuous Bernoulli's are (and may be negative).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np

import nbgen


def entropy_floor(x: np.ndarray) -> float:
    """Mean over rows of the summed binary entropy of each pixel, in nats."""
    x = np.clip(x.reshape(len(x), -1).astype(np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(x > 0, x * np.log(x), 0.0) + np.where(x < 1, (1 - x) * np.log1p(-x), 0.0))
    return float(h.sum(axis=1).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="digits")
    ap.add_argument("--latent", type=int, nargs="+", default=[2, 8])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--k", type=int, default=100, help="importance samples of the bound")
    args = ap.parse_args()
    ds = nbgen.datasets.load(args.data)
    print(f"# VAE likelihoods on {args.data}, {time.strftime('%Y-%m-%d')}, seeds {args.seeds} (medians)")
    print(f"entropy floor of the Bernoulli cross-entropy on the held-out rows: {entropy_floor(ds.x_val):.2f} nats")
    print()
    print("| latent | likelihood | neg. ELBO nats | IS bound (k) nats | FID | train s |")
    print("|---|---|---|---|---|---|")
    for latent in args.latent:
        for likelihood in ("bernoulli", "continuous_bernoulli"):
            rows = []
            for seed in args.seeds:
                t0 = time.perf_counter()
                s = nbgen.train("vae", args.data, latent_dim=latent, likelihood=likelihood, seed=seed, progress=False)
                wall = time.perf_counter() - t0
                ev = s.evaluate(k=args.k)
                rows.append((ev["neg_elbo"], ev["iw_bound"], ev.get("fid", float("nan")), wall))
                s.close()
            med = [statistics.median(r[i] for r in rows) for i in range(4)]
            print(f"| {latent} | {likelihood} | {med[0]:.2f} | {med[1]:.2f} ({args.k}) | {med[2]:.3f} | {med[3]:.0f} |")


if __name__ == "__main__":
    main()
