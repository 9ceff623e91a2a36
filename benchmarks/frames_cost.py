"""What keeping frames (nbgen/frames.py) costs a headless run: the same sessions trained with
and without ``session.frames.start()``, each in a fresh process (the sampler's first compile
is part of the cost), and the frames' memory.

Run:  python benchmarks/frames_cost.py [--repeats 3] [--epochs 3]

Prints, per model and data set, the median wall time of building and training a session with
frames and without, their difference, and the kept steps and bytes of the last run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = [("vae", "digits"), ("gan", "ring"), ("diffusion", "ring"), ("diffusion", "digits")]

CHILD = r"""
import json, sys, time
import nbgen
model, data, epochs, keep = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
t = time.perf_counter()
s = nbgen.Session(model, data, epochs=epochs, seed=0)
if keep:
    s.frames.start()
s.train()
print("RESULT", json.dumps({"seconds": time.perf_counter() - t, "steps": s.frames.steps, "bytes": s.frames.nbytes}))
"""


def run(model: str, data: str, epochs: int, keep: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, model, data, str(epochs), "1" if keep else "0"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return json.loads(next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))[7:])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args(argv)
    print(f"frames' cost, headless, fresh processes, {args.epochs} epochs, medians of {args.repeats} (seconds)")
    for model, data in CASES:
        with_frames, without = [], []
        for _ in range(args.repeats):
            last = run(model, data, args.epochs, True)
            with_frames.append(last["seconds"])
            without.append(run(model, data, args.epochs, False)["seconds"])
        a, b = statistics.median(with_frames), statistics.median(without)
        print(
            f"  {model:9s} {data:7s} with frames {a:5.2f}, without {b:5.2f}, cost {a - b:+.2f} s; "
            f"{len(last['steps'])} frames, {last['bytes'] / 1e3:.0f} KB (steps {last['steps'][:4]}...{last['steps'][-1]})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
