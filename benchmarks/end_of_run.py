"""What a blocking ``train()`` of a shown session does, in a real kernel: how many SVG snapshots,
draws, frames and live FIDs each thread makes, and the milliseconds they take, per call.

Run:  python benchmarks/end_of_run.py [--calls 5] [--epochs 30]

The VAE of benchmarks/live_view.py (hidden 256,256, latent 2, batch 128, digits), shown with
``nbgen.show`` in a kernel (tests/_kernel.py); ``--calls`` blocking ``train(--epochs)`` calls.
Printed: per thread ("main": the caller's; "nbgen-view": the view's), calls of each part and their
mean milliseconds per ``train()`` call. Before the end was drawn once (commit 70a730b), the caller
made two snapshots a call.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _kernel import Kernel

SETUP = r"""
import time, threading, collections, nbgen
from nbgen.ui import widget as W, plots as P
acc, cnt = collections.defaultdict(float), collections.Counter()
def _wrap(obj, name, label):
    f = getattr(obj, name)
    def timed(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            th = threading.current_thread()
            who = 'main' if th is threading.main_thread() else th.name
            acc[(label, who)] += time.perf_counter() - t
            cnt[(label, who)] += 1
    setattr(obj, name, timed)
_wrap(W.SessionWidget, 'refresh_snapshot', 'snapshot'); _wrap(W.SessionWidget, '_draw', 'draw (with snapshot)')
from nbgen import frames as F
_wrap(P.SessionFigure, 'draw', 'figure draw'); _wrap(F, 'take', 'frame (samples)')
_wrap(F.Frames, '_measure_fid', 'live FID (tried)')
s = nbgen.show('vae', 'digits', hidden=(256, 256), latent_dim=2, batch_size=128, learning_rate=1e-3)
s.train(1); s.widget.flush()
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=5)
    p.add_argument("--epochs", type=int, default=30)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        k = Kernel(Path(tmp))
        try:
            k.run(SETUP, timeout=300)
            k.run("acc.clear(); cnt.clear()")
            k.run(f"for _ in range({args.calls}): s.train({args.epochs})", timeout=600)
            k.run("s.widget.flush()")
            rows = k.value("sorted((a, b, cnt[(a, b)], acc[(a, b)] * 1000) for a, b in cnt)")
        finally:
            k.close()
    print(f"# command: python benchmarks/end_of_run.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print(f"| part | thread | calls in {args.calls} train() | ms per train() |")
    print("|---|---|---|---|")
    for part, thread, n, ms in rows:
        print(f"| {part} | {thread} | {n} | {ms / args.calls:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
