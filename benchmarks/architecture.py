"""Which default network shape reaches the better quality within a time budget, per device.

``architecture="auto"`` picks "conv" on an accelerator and "mlp" on a CPU; this script is the
measurement behind that rule. For each model and architecture it trains nbgen's defaults on
real 28x28 digits (data="mnist5k") as a user gets them (the model's default epochs), stopped
at a wall-clock budget if they take longer (session build and compilation included), then
prints issue 10's quality figures on the held-out split: reconstruction MSE against PCA at the
same latent size (AE, VAE), the negative ELBO (VAE), and for samples (VAE, GAN) the classes
with >= 5% of them and the mnist5k classifier's mean top probability ("confidence").

    .venv/bin/python benchmarks/architecture.py                        # AE latent 8, 120 s each
    .venv/bin/python benchmarks/architecture.py --models autoencoder vae gan --budget 60
    .venv/bin/python benchmarks/architecture.py --fill                 # train for the whole budget

``--fill`` trains for the whole budget instead of the default epochs (no learning-rate
annealing then), which compares what each shape can reach in that time. ``--json PATH`` also
writes the rows. The first line names the device kind (jax.default_backend()).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import nbgen

LATENT = {"autoencoder": 8, "vae": 16}  # issue 10's mnist5k targets: AE latent 8, VAE latent 2 and 16


def run(model: str, arch: str, budget: float, seed: int, fill: bool = False, latent: int | None = None,
        epochs: int | None = None) -> dict:
    start = time.perf_counter()
    hp = {"architecture": arch, "seed": seed}
    if model in LATENT:
        hp["latent_dim"] = latent or LATENT[model]
    if fill or epochs:
        hp["epochs"] = 100_000 if fill else epochs
    s = nbgen.Session(model, "mnist5k", **hp)
    epochs = s.hyperparameters["epochs"]
    s.train(block=False)
    s.wait(timeout=max(budget - (time.perf_counter() - start), 0.0))
    finished = s.status == "finished"
    if not finished:
        s.stop()
    wall = time.perf_counter() - start
    row = {
        "model": model,
        "arch": arch,
        "latent_dim": hp.get("latent_dim"),
        "epochs": s.epoch,
        "of": epochs,
        "finished": finished,
        "steps": s.step,
        "wall_s": round(wall, 1),
        "samples_per_s": round(s.engine.samples_per_sec),
    }
    t0 = time.perf_counter()
    m = s.evaluate()
    row["evaluate_s"] = round(time.perf_counter() - t0, 1)
    for key in ("mse", "mse_vs_pca", "neg_elbo", "iw_bound", "classes_5pct", "confidence"):
        if key in m:
            row[key] = m[key]
    return row


def fmt(row: dict) -> str:
    quality = []
    if "mse_vs_pca" in row:
        quality.append(f"held-out MSE {row['mse']:.4f} = {row['mse_vs_pca']:.3f}x PCA({row['latent_dim']})")
    if "neg_elbo" in row:
        quality.append(f"neg. ELBO {row['neg_elbo']:.1f}, IS bound {row['iw_bound']:.1f}")
    if "confidence" in row:
        quality.append(f"samples {row['classes_5pct']}/10 classes >= 5%, confidence {row['confidence']:.3f}")
    latent = f" latent {row['latent_dim']}" if row["latent_dim"] else ""
    done = f"{row['epochs']}/{row['of']}" if not row["finished"] else f"{row['epochs']} (all)"
    return (f"| {row['model']}{latent} | {row['arch']} | {done} | {row['wall_s']:.1f} | {row['samples_per_s']:,} | "
            f"{'; '.join(quality)} |")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["autoencoder"], choices=("autoencoder", "vae", "gan", "diffusion"))
    p.add_argument("--latent", type=int, default=None, help="latent_dim of the AE and VAE (default: 8 and 16)")
    p.add_argument("--budget", type=float, default=120.0, help="wall seconds per run at most (default 120)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--arch", nargs="+", default=["mlp", "conv"], choices=("mlp", "conv"))
    p.add_argument("--epochs", type=int, default=None, help="epochs instead of each model's default")
    p.add_argument("--fill", action="store_true", help="train for the whole budget, not the default epochs")
    p.add_argument("--json", default=None, help="also write the rows to this file")
    args = p.parse_args()
    import jax

    device = f"{jax.default_backend()} ({jax.devices()[0].device_kind})"
    print(f"device: {device}; jax {jax.__version__}; mnist5k, {args.budget:g} s wall per run at most, seed {args.seed}, "
          f"{'the whole budget' if args.fill else (f'{args.epochs} epochs' if args.epochs else 'default epochs')}", flush=True)  # fmt: skip
    print("| model | architecture | epochs | wall s | samples/s | held-out quality |")
    print("|---|---|---|---|---|---|", flush=True)
    rows = []
    for model in args.models:
        for arch in args.arch:
            try:
                row = run(model, arch, args.budget, args.seed, args.fill, args.latent, args.epochs)
            except Exception as e:  # one failing row must not lose the others
                print(f"| {model} | {arch} | failed: {type(e).__name__}: {e} |", flush=True)
                continue
            row["device"] = device
            rows.append(row)
            print(fmt(row), flush=True)
            if args.json:
                with open(args.json, "w") as f:
                    json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
