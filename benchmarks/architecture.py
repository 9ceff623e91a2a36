"""Which default network shape reaches the better quality within a time budget, per device.

``architecture="auto"`` picks "conv" on an accelerator and "mlp" on a CPU; this script is the
measurement behind that rule. For each architecture it trains nbgen's defaults on real 28x28
digits (data="mnist5k") for a fixed wall-clock budget (session build and compilation
included), then reports the held-out reconstruction MSE (AE, VAE) against PCA at the same
latent size, the epochs done and the training speed.

    .venv/bin/python benchmarks/architecture.py                    # AE latent 8, 120 s each
    .venv/bin/python benchmarks/architecture.py --model vae --latent 16 --budget 60

Prints one row per architecture and the device kind (jax.default_backend()).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np

import nbgen
from nbgen.metrics import pca_mse


def run(model: str, arch: str, latent: int, budget: float, seed: int) -> dict:
    start = time.perf_counter()
    s = nbgen.Session(model, "mnist5k", latent_dim=latent, architecture=arch, seed=seed, epochs=100_000)
    s.train(block=False)
    left = budget - (time.perf_counter() - start)
    s.wait(timeout=max(left, 0.0))
    s.stop()
    wall = time.perf_counter() - start
    ds = s.dataset
    x = ds.model_val
    rec = ds.flatten(s.reconstruct(ds.to_rows(x)))
    mse = float(np.mean((x - rec) ** 2))
    pca = pca_mse(ds.model_train, x, latent)
    return {
        "arch": arch,
        "epochs": s.epoch,
        "steps": s.step,
        "wall_s": wall,
        "samples_per_s": s.engine.samples_per_sec,
        "mse": mse,
        "mse_vs_pca": mse / pca,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="autoencoder", choices=("autoencoder", "vae"))
    p.add_argument("--latent", type=int, default=8)
    p.add_argument("--budget", type=float, default=120.0, help="wall seconds per run (default 120)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--arch", nargs="+", default=["mlp", "conv"])
    args = p.parse_args()
    import jax

    print(f"device kind: {jax.default_backend()} ({jax.devices()[0].device_kind}); {args.model} latent {args.latent} "
          f"on mnist5k, {args.budget:g} s wall per run, seed {args.seed}")  # fmt: skip
    print(f"{'arch':6} {'epochs':>7} {'steps':>7} {'samples/s':>10} {'held-out MSE':>13} {'x PCA':>7}")
    for arch in args.arch:
        r = run(args.model, arch, args.latent, args.budget, args.seed)
        print(
            f"{r['arch']:6} {r['epochs']:7d} {r['steps']:7d} {r['samples_per_s']:10,.0f} {r['mse']:13.4f} "
            f"{r['mse_vs_pca']:7.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
