"""A compiled Keras model trained by nbgen against Keras's own ``model.fit``.

Run:  python benchmarks/keras_fit.py [--repeats 5] [--epochs 20] [--batch 32]

The same model (a classifier on mnist5k's 28x28 digits scaled to [0, 1]: Flatten, Dense 256
ReLU, Dense 256 ReLU, Dense 10 logits; Adam 1e-3, sparse cross-entropy, accuracy), the same
training and validation rows, batch size and epochs:

- ``nbgen``: ``nbgen.Session(model, (x, y))`` trained for ``--epochs`` epochs, each ending
  with its validation pass (as users run it);
- ``fit``: ``model.fit(x_train, y_train, validation_data=(x_val, y_val))`` with Keras's default
  ``steps_per_execution=1``, and with each of ``--spe`` (Keras's setting for running several
  steps per compiled call); ``fit`` without validation too.

Every run starts from the same initial weights and first trains one epoch (compilation and
warm-up, not timed). Figures: training samples per second (epochs x rows / seconds), median of
``--repeats`` runs interleaved in one process, and nbgen / fit. The last line measures the
cost of ``nbgen.FitView`` on ``fit`` (in a script it draws nothing, so this is its per-batch work;
the drawing itself happens at most twice a second).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras

import nbgen
from nbgen import data as nbdata


def make_model(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    return model


def compile_model(model: keras.Model, spe: int = 1) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=spe,
    )
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--spe", type=int, nargs="*", default=[16, 64])
    args = ap.parse_args()

    ds = nbdata.load("mnist5k")
    x_tr = ds.x_train.reshape(-1, 28, 28) / 255.0
    x_va = ds.x_val.reshape(-1, 28, 28) / 255.0
    data = nbdata.from_split(x_tr, ds.y_train, x_va, ds.y_val, name="mnist5k/255")
    n = len(x_tr)
    steps = n // args.batch  # nbgen drops a last partial batch; fit trains it: count fit's real rows
    initial = make_model().get_weights()

    def fresh(spe: int = 1) -> keras.Model:
        m = make_model()
        m.set_weights(initial)
        return compile_model(m, spe)

    def run_nbgen() -> float:
        s = nbgen.Session(fresh(), data, batch_size=args.batch, epochs=args.epochs)
        s.train(1)
        t0 = time.perf_counter()
        s.train(args.epochs)
        return args.epochs * steps * args.batch / (time.perf_counter() - t0)

    def run_fit(spe: int, validation: bool = True, view: bool = False) -> float:
        m = fresh(spe)
        kw = {"validation_data": (x_va, ds.y_val)} if validation else {}
        if view:  # nbgen's callback for fit (in a script it draws nothing: its per-batch work is measured)
            kw["callbacks"] = [nbgen.FitView(display=False)]
        m.fit(x_tr, ds.y_train, batch_size=args.batch, epochs=1, verbose=0, **kw)
        t0 = time.perf_counter()
        m.fit(x_tr, ds.y_train, batch_size=args.batch, epochs=args.epochs, verbose=0, **kw)
        return args.epochs * n / (time.perf_counter() - t0)

    runners = {"nbgen (with validation)": run_nbgen, "fit, steps_per_execution=1 (with validation)": lambda: run_fit(1)}
    for spe in args.spe:
        runners[f"fit, steps_per_execution={spe} (with validation)"] = lambda spe=spe: run_fit(spe)
    runners["fit, steps_per_execution=1, no validation"] = lambda: run_fit(1, False)
    runners["fit + nbgen.FitView, steps_per_execution=1 (with validation)"] = lambda: run_fit(1, True, True)
    rates: dict[str, list[float]] = {k: [] for k in runners}
    for r in range(args.repeats):
        for name, fn in runners.items():
            rates[name].append(fn())
        print(f"repeat {r + 1}/{args.repeats} done", file=sys.stderr)
    medians = {k: statistics.median(v) for k, v in rates.items()}
    ours = medians["nbgen (with validation)"]
    print(f"mnist5k classifier, {n} training rows, batch {args.batch}, {args.epochs} epochs, median of {args.repeats}")
    print("| loop | samples/s | nbgen / it |")
    print("|---|---|---|")
    for name, rate in medians.items():
        print(f"| {name} | {rate:,.0f} | {ours / rate:.2f}x |")
    best = max((v, k) for k, v in medians.items() if k.startswith("fit,") and "with validation" in k)
    print(f"best fit with validation: {best[1]} at {best[0]:,.0f}; nbgen / best = {ours / best[0]:.2f}x")
    plain = medians["fit, steps_per_execution=1 (with validation)"]
    viewed = medians["fit + nbgen.FitView, steps_per_execution=1 (with validation)"]
    print(f"nbgen.FitView's cost on fit: {100 * (1 - viewed / plain):+.1f}% of fit's samples/s (target <= 5%)")


if __name__ == "__main__":
    main()
