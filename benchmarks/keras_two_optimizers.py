"""A GAN written as one keras.Model that trains with two optimizers, both ways nbgen takes it
(README "Your Keras model and its training"), on moons: how close its samples come to the data.

- alternating: the model's own ``d_optimizer`` and ``g_optimizer`` and a JAX train_step that
  updates D, then G (nbgen's form; tests/test_keras_optimizers.py's TwoOptimizerGAN);
- MultiOptimizer: one ``keras.optimizers.MultiOptimizer`` (an Adam per network, by variable
  path) and one ``stateless_apply`` per step (Keras's form; tests/test_keras_multi_optimizer.py's
  MultiOptimizerGAN), trained by nbgen and by Keras's own ``model.fit``.

Run:  python benchmarks/keras_two_optimizers.py [--epochs 60] [--seeds 3]

Prints, per form, the median over seeds of the JS divergence (nats, nbgen.sample_quality.kl_js_2d)
between 1,000 validation points and 1,000 samples before and after training, and the wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

import keras
import numpy as np
from test_keras_multi_optimizer import gan as multi_gan
from test_keras_optimizers import gan as alternating_gan

import nbgen
from nbgen.sample_quality import kl_js_2d

POINTS = 1000


def js(ds, samples) -> float:
    return kl_js_2d(ds.x_val[:POINTS], np.asarray(samples).reshape(-1, 2))[1]


def by_nbgen(make, seed: int, epochs: int) -> tuple[float, float, float]:
    keras.utils.set_random_seed(seed)
    s = nbgen.Session(make(), "moons", epochs=epochs, batch_size=128, seed=seed)
    before = js(s.dataset, s.sample(POINTS, seed=seed))
    t = time.perf_counter()
    s.train()
    return before, js(s.dataset, s.sample(POINTS, seed=seed)), time.perf_counter() - t


def by_fit(seed: int, epochs: int) -> tuple[float, float, float]:
    keras.utils.set_random_seed(seed)
    model = multi_gan(f"fit{seed}")
    ds = nbgen.datasets.load("moons")
    noise = np.random.default_rng(seed).normal(size=(POINTS, model.noise_dim)).astype("float32")
    before = js(ds, model.generator.predict(noise, verbose=0))
    t = time.perf_counter()
    model.fit(ds.x_train, epochs=epochs, batch_size=128, verbose=0)
    return before, js(ds, model.generator.predict(noise, verbose=0)), time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    forms = {
        "alternating d_/g_optimizer, nbgen": lambda seed: by_nbgen(alternating_gan, seed, args.epochs),
        "MultiOptimizer, nbgen": lambda seed: by_nbgen(multi_gan, seed, args.epochs),
        "MultiOptimizer, keras fit": lambda seed: by_fit(seed, args.epochs),
    }
    print(
        f"moons, {args.epochs} epochs, batch 128, seeds 0..{args.seeds - 1}: median JS (nats) before -> after, seconds"
    )
    for name, run in forms.items():
        rows = [run(seed) for seed in range(args.seeds)]
        before, after, secs = (statistics.median(r[i] for r in rows) for i in range(3))
        each = ", ".join(f"{r[1]:.3f}" for r in rows)
        print(f"  {name:36s} JS {before:.3f} -> {after:.3f} (each: {each}), {secs:.1f} s")


if __name__ == "__main__":
    main()
