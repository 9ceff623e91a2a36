"""How training time and the live view's cost scale with the number of rows.

Run:  python benchmarks/scaling.py [--quick] [--repeats 3] [--features 64]

1. Epoch time against data size (headless, in this process): a synthetic set of
   1k ... 64k rows (``--features`` columns in [0, 1], a noisy image of a 2-D latent), the
   VAE of anchors.md (hidden 256,256, latent 2, batch 128, lr 1e-3). Sessions for every
   size are built and compiled first, then timed round-robin (``--repeats`` rounds), so
   the machine's noise spreads over all sizes alike. Training should grow linearly in
   the rows: the table gives the epoch time, samples/s, the time per training row, and
   a least-squares line ``epoch = a + b * rows`` (``a``: per-epoch fixed costs such as
   the validation pass on <= 2,000 rows).
2. View cost against data size (in a kernel, as benchmarks/live_view.py): shown /
   headless samples/s at 1k, 8k and 64k rows, runs interleaved; the views subsample to
   <= 2,000 rows, so the ratio should stay flat. Traffic per second is given too.

Figures are printed as markdown tables.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np

BATCH = 128
VAE_HP = {"hidden": (256, 256), "latent_dim": 2, "batch_size": BATCH, "learning_rate": 1e-3, "seed": 0}


def synthetic(n: int, features: int, seed: int = 0) -> np.ndarray:
    """n rows in [0, 1]: a fixed random 2-layer map of a 2-D latent, plus noise."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2)).astype(np.float32)
    w1 = rng.standard_normal((2, 32)).astype(np.float32)
    w2 = rng.standard_normal((32, features)).astype(np.float32) / 4
    x = 1 / (1 + np.exp(-(np.tanh(z @ w1) @ w2 + 0.1 * rng.standard_normal((n, features)).astype(np.float32))))
    return x.astype(np.float32)


SYNTHETIC = "\n" + inspect.getsource(synthetic)  # the same function, defined in the kernel


def timed_epochs(session, epochs: int) -> tuple[float, float]:
    """Seconds per epoch and samples/s of ``epochs`` more epochs."""
    step0, t0 = session.step, time.perf_counter()
    session.train(epochs)
    dt = time.perf_counter() - t0
    return dt / epochs, (session.step - step0) * session.engine.batch_size / dt


def epochs_for(n_train: int, samples: int) -> int:
    per_epoch = max(n_train // BATCH, 1) * BATCH
    return max(2, math.ceil(samples / per_epoch))


def headless_scaling(sizes: list[int], features: int, repeats: int, samples: int) -> list[list]:
    import nbgen

    sessions = {}
    for n in sizes:
        s = nbgen.Session("vae", synthetic(n, features), **VAE_HP)
        s.train(1)  # compile and warm up
        sessions[n] = s
    per_epoch = {n: [] for n in sizes}
    rates = {n: [] for n in sizes}
    for r in range(repeats):
        for n in sizes if r % 2 == 0 else sizes[::-1]:
            s = sessions[n]
            e, rate = timed_epochs(s, epochs_for(len(s.dataset.x_train), samples))
            per_epoch[n].append(e)
            rates[n].append(rate)
    n_train = np.array([len(sessions[n].dataset.x_train) for n in sizes], dtype=float)
    t = np.array([statistics.median(per_epoch[n]) for n in sizes])
    b, a = np.polyfit(n_train, t, 1)
    exponent = float(np.polyfit(np.log(n_train), np.log(t), 1)[0])  # 1.0: linear
    rows = []
    for i, n in enumerate(sizes):
        rows.append(
            [
                f"{n:,}",
                f"{int(n_train[i]):,}",
                int(n_train[i]) // BATCH,
                epochs_for(int(n_train[i]), samples),
                f"{t[i] * 1000:.1f}",
                f"{min(per_epoch[n]) * 1000:.1f}-{max(per_epoch[n]) * 1000:.1f}",
                f"{statistics.median(rates[n]):,.0f}",
                f"{t[i] / n_train[i] * 1e6:.1f}",
                f"{(t[i] / n_train[i]) / (t[-1] / n_train[-1]):.2f}",
            ]
        )
    for s in sessions.values():
        s.close()
    return rows, a, b, exponent


def view_scaling(sizes: list[int], features: int, repeats: int, samples: int) -> list[list]:
    from live_view import KERNEL_SETUP, cost, kb, med, start_kernel, traffic_rates

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        kernel, traffic = start_kernel(Path(tmp), KERNEL_SETUP + SYNTHETIC)
        try:
            hp = ", ".join(f"{k}={v!r}" for k, v in VAE_HP.items())
            for n in sizes:
                n_train = int(n * 0.8)
                epochs = epochs_for(n_train, samples)
                res = cost(kernel, "vae", f"synthetic({n}, {features})", hp, repeats, epochs)
                tr = traffic_rates(traffic, res["windows"], res["trace_names"])
                rows.append(
                    [
                        f"{n:,}",
                        len(res["ratios"]),
                        f"{res['steps_per_epoch']} x {epochs}",
                        f"{med(res['headless']):,.0f}",
                        f"{med(res['shown']):,.0f}",
                        f"{med(res['ratios']):.3f}",
                        f"{min(res['ratios']):.3f}-{max(res['ratios']):.3f}",
                        f"{med(res['draws_per_s']):.1f}",
                        f"{med([c[0] / c[1] for c in res['cpu']]):.3f}",
                        kb(tr["mean"]) + "/s",
                    ]
                )
        finally:
            kernel.close()
    return rows


def main() -> None:
    from live_view import load_average, table

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer sizes and repeats (~1.5 min)")
    ap.add_argument("--repeats", type=int, default=None, help="timed rounds (default 3, quick 2)")
    ap.add_argument("--features", type=int, default=64)
    ap.add_argument("--no-view", action="store_true", help="skip the kernel part (view cost)")
    args = ap.parse_args()
    repeats = args.repeats or (2 if args.quick else 3)
    sizes = [1000, 4000, 16000, 64000] if args.quick else [1000, 2000, 4000, 8000, 16000, 32000, 64000]
    samples = 60_000 if args.quick else 120_000  # training samples per timed run
    started = time.time()
    print(f"# nbgen scaling benchmark, {datetime.date.today()}, {platform.node()}, {os.cpu_count()} CPUs")
    print(f"command: python benchmarks/scaling.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"load average at start: {load_average()}")
    print()
    print("## Scaling")
    print()
    print(
        f"### Epoch time against rows (headless, in-process; VAE 256,256 latent 2, batch {BATCH}, "
        f"{args.features} features; ~{samples:,} samples per timed run, median of {repeats})"
    )
    print()
    rows, a, b, exponent = headless_scaling(sizes, args.features, repeats, samples)
    print(
        table(
            [
                "rows",
                "training rows",
                "steps/epoch",
                "epochs/run",
                "epoch ms (median)",
                "epoch ms (range)",
                "samples/s",
                "us per training row",
                f"time per row / at {sizes[-1]:,}",
            ],
            rows,
        )
    )
    print()
    print(
        f"Epoch time grows as rows^{exponent:.2f} (log-log least squares; 1.00 is linear). "
        f"Least-squares line: epoch = {a * 1000:.1f} ms + {b * 1e6:.2f} us x training rows "
        f"({1 / b:,.0f} samples/s at the margin)."
    )
    print()
    if not args.no_view:
        view_sizes = [1000, 64000] if args.quick else [1000, 8000, 64000]
        print(f"### View cost against rows (in a kernel; shown / headless, interleaved, {repeats} pairs)")
        print()
        vrows = view_scaling(view_sizes, args.features, repeats, samples)
        print(
            table(
                [
                    "rows",
                    "pairs",
                    "steps/epoch x epochs",
                    "headless samples/s",
                    "shown samples/s",
                    "ratio (median)",
                    "ratio range",
                    "draws/s",
                    "CPU ratio headless/shown",
                    "traffic while training",
                ],
                vrows,
            )
        )
        print()
    print(f"(total benchmark time {time.time() - started:.0f} s; load average at the end: {load_average()})")


if __name__ == "__main__":
    main()
