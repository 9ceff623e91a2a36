"""Where a shown run's time goes, in one process without a kernel: thread CPU time of the
figure's draws, its panels, the kept frames and the live FID, against headless runs.

Run:  python benchmarks/draw_cost.py [--repeats 3] [--epochs 120]

The VAE of anchors.md on the digits (as benchmarks/live_view.py), a shown session
(``nbgen.show(display=False)``) and a headless one trained in turns. No kernel: widget messages
go nowhere, so the difference between this and live_view.py's cost is the message path.
``time.thread_time`` counts the calling thread only (XLA's own threads are not in it).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nbgen
from nbgen import frames as fr
from nbgen.ui import plots
from nbgen.ui.panels import images, latent, loss

acc: dict[str, float] = collections.defaultdict(float)
cnt: collections.Counter = collections.Counter()


def wrap(obj, name: str, label: str) -> None:
    f = getattr(obj, name)

    def timed(*a, **k):
        t = time.thread_time()
        try:
            return f(*a, **k)
        finally:
            acc[label] += time.thread_time() - t
            cnt[label] += 1

    setattr(obj, name, timed)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=120)
    args = p.parse_args(argv)
    wrap(plots.SessionFigure, "draw", "draw")
    wrap(fr, "take", "frame")
    wrap(fr.Frames, "_measure_fid", "fid")
    wrap(latent.LatentPanel, "update", "latent")
    wrap(loss.LossPanel, "update", "loss")
    for name in ("SamplesPanel", "ReconstructionsPanel"):
        wrap(getattr(images, name), "update", name)
    hp = dict(hidden=(256, 256), latent_dim=2, batch_size=128, learning_rate=1e-3)
    shown = nbgen.show("vae", "digits", display=False, **hp)
    shown.train(1)
    shown.widget.flush()
    headless = nbgen.Session("vae", "digits", **hp)
    headless.train(1)
    print("| run | samples/s | CPU us/sample | thread CPU ms (calls) |\n|---|---|---|---|")
    for rep in range(args.repeats):
        for s, tag in ((headless, "headless"), (shown, "shown")):
            acc.clear()
            cnt.clear()
            t0, c0, step0 = time.perf_counter(), time.process_time(), s.step
            s.train(args.epochs)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            n = (s.step - step0) * 128
            parts = ", ".join(f"{k} {v * 1000:.0f} ({cnt[k]})" for k, v in sorted(acc.items(), key=lambda kv: -kv[1]))
            print(f"| {tag} {rep + 1} | {n / dt:,.0f} | {cpu / n * 1e6:.1f} | {parts} |", flush=True)
    shown.close()
    headless.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
