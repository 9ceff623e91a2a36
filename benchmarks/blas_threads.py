"""numpy's BLAS threads beside a training run: the view's small products with and without
``nbgen._blas.one_blas_thread()``.

Run:  python benchmarks/blas_threads.py [--repeats 3] [--epochs 200] [--hz 10]

A VAE (the live-view benchmark's: hidden 256,256, latent 2, batch 128, digits) trains in the
background (``train(block=False)``) while this thread does, ``--hz`` times a second, the numeric
work of a live view: the live FID's features of 500 samples and their Fréchet distance to the
held-out features, and a PCA projection of 360 codes of 8 dimensions. Each repeat runs the two
ways in turn (BLAS as numpy has it, then one thread); printed: the training's samples/s and
the work's mean milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
from threadpoolctl import threadpool_info

import nbgen
from nbgen._blas import one_blas_thread
from nbgen.sample_quality import features, fid
from nbgen.ui.arrays import fit_projection


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--hz", type=float, default=10.0)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.random((500, 64)).astype(np.float32)
    real = features(rng.random((500, 64)), "digits")
    z = rng.normal(size=(360, 8)).astype(np.float32)
    blas = ", ".join(
        f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info() if i["user_api"] == "blas"
    )
    print(f"# BLAS threads beside training; {os.cpu_count()} CPUs; {blas}; load average {os.getloadavg()[0]:.2f}")
    print(f"command: python benchmarks/blas_threads.py {' '.join(sys.argv[1:])}".rstrip())
    print()

    def work() -> None:
        fid(real, features(x, "digits"))
        fit_projection(z).project(z)

    s = nbgen.Session("vae", "digits", hidden=(256, 256), latent_dim=2, batch_size=128, learning_rate=1e-3, seed=0)
    s.train(5)
    out = {False: ([], []), True: ([], [])}
    for _ in range(args.repeats):
        for limited in (False, True):
            step0 = s.step
            s.train(args.epochs, block=False)
            t0, times = time.perf_counter(), []
            while s.running:
                t = time.perf_counter()
                if limited:
                    with one_blas_thread():
                        work()
                else:
                    work()
                times.append(time.perf_counter() - t)
                time.sleep(1 / args.hz)
            dt = time.perf_counter() - t0
            out[limited][0].append((s.step - step0) * 128 / dt)
            out[limited][1].append(statistics.mean(times) * 1000)
    print("| BLAS | training samples/s (median) | each run | the view's work, ms (median of means) |")
    print("|---|---|---|---|")
    for limited in (False, True):
        rates, ms = out[limited]
        label = "one thread (`one_blas_thread()`)" if limited else "numpy's default"
        each = ", ".join(f"{r:,.0f}" for r in rates)
        print(f"| {label} | {statistics.median(rates):,.0f} | {each} | {statistics.median(ms):.1f} |")
    s.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
