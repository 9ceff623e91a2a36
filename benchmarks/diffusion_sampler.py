"""What the diffusion sampler's fix changes (issue 29): the same trained weights sampled with the
velocity training regressed (``(x1 - x_t) / max(1 - t, 0.05)``) and with the old sampler's
``(x1 - x_t) / (1 - t)``.

Run:  python benchmarks/diffusion_sampler.py [--data digits mnist5k] [--seed 0] [--steps 50 100]

Trains the diffusion model with its defaults once per data set (the fix changes sampling only,
not training), then draws 2,500 samples with each sampler at each step count (seed 0) and prints
a markdown table of ``evaluate()``'s sample metrics: classifier confidence and classes (the
README's rows) and FID/KID/precision/recall against the held-out rows (lower FID/KID is better).
It also prints the RMS difference between the two samplers' samples (model units, [0, 1] pixels).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import nbgen

NAMES = ("confidence", "classes_5pct", "fid", "kid", "precision", "recall")


def _with_clip(session, t_clip: float | None) -> None:
    """Sample with ``max(1 - t, t_clip)`` (the trained velocity, ``t_clip=None`` restores it) or,
    with ``t_clip=0``, the old ``1 - t``; the compiled sampler is rebuilt."""
    m = session.generative_model
    if t_clip is None:
        m.__dict__.pop("t_clip", None)
    else:
        m.t_clip = t_clip
    m.__dict__.pop("_jitted", None)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", default=["digits"], choices=["digits", "mnist5k"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, nargs="+", default=[50])
    args = p.parse_args(argv)
    print(f"diffusion defaults, 2,500 samples, training seed {args.seed}, {time.strftime('%Y-%m-%d')}")
    print("| data | steps | sampler | " + " | ".join(NAMES) + " | RMS from the old |")
    print("|---|---|---|" + "---|" * (len(NAMES) + 1))
    for data in args.data:
        t0 = time.perf_counter()
        s = nbgen.train("diffusion", data, seed=args.seed, progress=False)
        print(f"(trained on {data} in {time.perf_counter() - t0:.0f} s)", flush=True)
        assert s.generative_model.predicts == "data", "the fix concerns the data-prediction preconditioning"
        for steps in args.steps:
            s.set(sample_steps=steps)
            rows = {}
            for name, clip in (("old: 1 - t", 0.0), ("trained: max(1 - t, 0.05)", None)):
                _with_clip(s, clip)
                rows[name] = (s.evaluate(), s.dataset.flatten(s.sample(2500, seed=0)))
            _with_clip(s, None)
            (old_e, old_x), (new_e, new_x) = rows.values()
            rms = float(np.sqrt(np.mean((old_x - new_x) ** 2)))
            for name, (e, _) in rows.items():
                values = " | ".join(f"{e[k]:.4g}" for k in NAMES)
                print(f"| {data} | {steps} | {name} | {values} | {rms if e is new_e else 0.0:.4f} |", flush=True)
        floor = " | ".join(f"{new_e[k + '_floor']:.4g}" if k + "_floor" in new_e else "" for k in NAMES)
        print(f"| {data} | | real data (floor) | {floor} | |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
