"""What a live export to a tracker costs headless training: the same run trained with no
export, with ``nbgen.to_tensorboard(..., live=True)`` and with ``nbgen.to_mlflow(..., live=True)``
(MLflow's local file store), interleaved, in one process after a warm-up run.

Run:  python benchmarks/tracker_cost.py [--repeats 3] [--epochs 20] [--model vae] [--data digits]

Prints a markdown table: per way, the median wall time of the run, its ratio to the run without
export (median of the per-repeat ratios) and the steps per epoch. Needs tensorboard and
mlflow-skinny (a way whose package is missing is left out).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time

import nbgen


def _run(way: str, args: argparse.Namespace, folder: str) -> tuple[float, int]:
    s = nbgen.Session(args.model, args.data, epochs=args.epochs, seed=0)
    if way == "tensorboard":
        nbgen.to_tensorboard(s, f"{folder}/tb", live=True, picture=False)
    elif way == "mlflow":
        nbgen.to_mlflow(s, f"{folder}/mlruns", live=True, picture=False)
    t = time.perf_counter()
    s.train()
    seconds = time.perf_counter() - t
    s.close()
    return seconds, s.step // max(s.epoch, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--model", default="vae")
    parser.add_argument("--data", default="digits")
    args = parser.parse_args()
    ways = ["none"] + [w for w in ("tensorboard", "mlflow") if importlib.util.find_spec(w) is not None]
    times: dict[str, list[float]] = {w: [] for w in ways}
    with tempfile.TemporaryDirectory() as folder:
        for w in ways:  # warm-up: compiles, imports
            _, steps = _run(w, args, folder)
        for _ in range(args.repeats):
            for w in ways:
                times[w].append(_run(w, args, folder)[0])
    print(f"{args.model} on {args.data}, {args.epochs} epochs of {steps} steps, {args.repeats} repeats, interleaved\n")
    print("| export | median s | ratio to none (median) |")
    print("|---|---|---|")
    for w in ways:
        ratio = statistics.median(t / n for t, n in zip(times[w], times["none"]))
        print(f"| {w} | {statistics.median(times[w]):.2f} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
