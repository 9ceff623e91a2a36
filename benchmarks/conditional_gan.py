"""Label accuracy of the conditional GAN on mnist5k for a few settings (issue 11's protocol).

Run:  python benchmarks/conditional_gan.py '{}' '{"anneal": 0.3333}' '{"epochs": 480}'

Each argument is a JSON dict of hyperparameters given to ``nbgen.train("gan", "mnist5k",
conditional=True, seed=0, ...)``; for each run it prints the epochs trained, the share of
1,000 samples per label k that the data's classifier assigns to k (mean over the classes,
and the worst class) and the wall time of training (the target: >= 0.90 within 120 s).
``benchmarks/quality.py --only conditional-mnist5k`` measures the defaults of all three
conditional models the same way.
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nbgen
from nbgen import metrics


def main(argv: list[str]) -> int:
    for arg in argv or ["{}"]:
        hp = json.loads(arg)
        t = time.perf_counter()
        s = nbgen.train("gan", "mnist5k", conditional=True, seed=0, progress=False, **hp)
        wall = time.perf_counter() - t
        m = metrics.label_accuracy(s)  # 1,000 samples per class, classified in model units
        print(f"{json.dumps(hp)}: {s.epoch} epochs, label accuracy {m['label_accuracy']:.3f} "
              f"(worst class {m['worst_label_accuracy']:.3f}), {wall:.1f} s", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
