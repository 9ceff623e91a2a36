"""GAN tuning benchmark: train on ring/grid/digits for several seeds, print metrics and wall time.

Usage (from /work/main):
  PYTHONPATH=. .venv/bin/python benchmarks/gan_tuning/run.py ring --seeds 0 1 2 3 4 \
      --hp '{"learning_rate": 5e-4}' --epochs 60 --drop 0.0 --tag baseline

--drop F: for the last fraction F of the epochs, divide the learning rate by --drop-factor (live s.set).
Results are appended to benchmarks/gan_tuning/results.jsonl.
"""

import argparse
import json
import os
import time

import nbgen

p = argparse.ArgumentParser()
p.add_argument("data")
p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
p.add_argument("--hp", default="{}")
p.add_argument("--epochs", type=int, default=None)
p.add_argument("--drop", type=float, default=0.0)
p.add_argument("--drop-factor", type=float, default=10.0)
p.add_argument("--tag", default="")
p.add_argument("--gan-attr", default="{}", help="class attributes of nbgen.models.gan.GAN to override (experiments)")
p.add_argument(
    "--standardise", action="store_true", help="set GAN.data_stats from the training data (simulates the core change)"
)
a = p.parse_args()

from nbgen.models import gan as gan_mod

for k, v in json.loads(a.gan_attr).items():
    setattr(gan_mod.GAN, k, tuple(v) if isinstance(v, list) else v)
if a.standardise:
    xt = nbgen.data.load(a.data).x_train
    gan_mod.GAN.data_stats = (xt.mean(0).tolist(), xt.var(0).tolist())

hp = json.loads(a.hp)
if "hidden" in hp:
    hp["hidden"] = tuple(hp["hidden"])
rows = []
for seed in a.seeds:
    t0 = time.perf_counter()
    s = nbgen.Session("gan", a.data, seed=seed, **hp)
    epochs = a.epochs or s.hyperparameters["epochs"]
    n_late = int(round(a.drop * epochs))
    s.train(epochs - n_late)
    if n_late:
        s.set(learning_rate=s.hyperparameters["learning_rate"] / a.drop_factor)
        s.train(n_late)
    wall = time.perf_counter() - t0
    ev = s.evaluate()
    ev = {k: v for k, v in ev.items() if k in ("hq_fraction", "modes", "balanced_modes", "classes", "balanced_classes")}
    if s.dataset.modes is not None:  # where the samples lie: distance to the nearest mode, in mode std
        import numpy as np

        x = s.sample(2500, seed=0).reshape(2500, -1)
        d = np.linalg.norm(x[:, None] - s.dataset.modes[None], axis=-1).min(1) / s.dataset.mode_std
        ev["dist_3_6_20_inf"] = [
            round(float(np.mean((d >= lo) & (d < hi))), 3) for lo, hi in [(3, 6), (6, 20), (20, 1e9)]
        ]
    row = {
        "tag": a.tag,
        "data": a.data,
        "seed": seed,
        "hp": hp,
        "gan_attr": json.loads(a.gan_attr),
        "std": a.standardise,
        "epochs": epochs,
        "drop": a.drop,
        "drop_factor": a.drop_factor,
        "steps": s.step,
        "wall_s": round(wall, 1),
        **ev,
    }
    rows.append(row)
    print(json.dumps(row), flush=True)
    with open(os.path.join(os.path.dirname(__file__), "results.jsonl"), "a") as f:
        f.write(json.dumps(row) + "\n")
if "hq_fraction" in rows[0]:
    n = len(rows)
    print(
        f"SUMMARY {a.tag} {a.data}: hq "
        + " ".join(f"{r['hq_fraction']:.3f}" for r in rows)
        + " | modes "
        + " ".join(str(r["modes"]) for r in rows)
        + " | bal "
        + " ".join(str(r["balanced_modes"]) for r in rows)
        + f" | wall {sum(r['wall_s'] for r in rows) / n:.1f}s"
    )
else:
    print(
        f"SUMMARY {a.tag} {a.data}: classes "
        + " ".join(str(r["classes"]) for r in rows)
        + " | bal "
        + " ".join(str(r["balanced_classes"]) for r in rows)
        + f" | wall {sum(r['wall_s'] for r in rows) / len(rows):.1f}s"
    )
