"""Run-to-run spread of training speed in one kernel, headless and shown, run by run: what makes a
median of benchmarks/live_view.py fall below its target now and then.

Run:  python benchmarks/run_to_run.py [--pairs 6] [--epochs 300]

The VAE of benchmarks/live_view.py (hidden 256,256, latent 2, batch 128, digits) in a kernel
(tests/_kernel.py): a headless ``nbgen.Session`` and a shown ``nbgen.show`` session, each
warmed by one epoch, then ``--pairs`` pairs of blocking ``train(--epochs)`` calls, headless first.
Printed per run: samples/s, the kernel's CPU time per sample (all threads), the time spent in
Python's garbage collector, and the JAX compilations logged during it. A headless run has no
view at all: where its CPU time per sample rises as much as a shown run's, the machine did it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _kernel import Kernel

SETUP = r"""
import gc, logging, threading, time, jax, nbgen
_gc = {"t": 0.0, "start": {}}
def _on_gc(phase, info):
    k = threading.get_ident()
    if phase == "start":
        _gc["start"][k] = time.perf_counter()
    elif k in _gc["start"]:
        _gc["t"] += time.perf_counter() - _gc["start"].pop(k)
gc.callbacks.append(_on_gc)
_compiles = []
class _Count(logging.Handler):
    def emit(self, record):
        if "ompil" in record.getMessage():
            _compiles.append(1)
jax.config.update("jax_log_compiles", True)
for _name in ("jax", "jax._src.interpreters.pxla", "jax._src.dispatch"):
    _lg = logging.getLogger(_name); _lg.addHandler(_Count()); _lg.setLevel(logging.DEBUG); _lg.propagate = False
_HP = dict(hidden=(256, 256), latent_dim=2, batch_size=128, learning_rate=1e-3)
_h = nbgen.Session("vae", "digits", **_HP); _h.train(1)
_s = nbgen.show("vae", "digits", **_HP); _s.train(1); _s.widget.flush()
def _run(x, epochs):
    _gc["t"] = 0.0; _compiles.clear()
    step0, t0, c0 = x.step, time.perf_counter(), time.process_time()
    x.train(epochs)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = (x.step - step0) * x.engine.batch_size
    return {"rate": n / dt, "cpu_us": cpu / n * 1e6, "gc_ms": _gc["t"] * 1000, "compiles": len(_compiles)}
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=6)
    p.add_argument("--epochs", type=int, default=300)
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        k = Kernel(Path(tmp))
        try:
            k.run(SETUP, timeout=300)
            for i in range(args.pairs):
                for name, var in (("headless", "_h"), ("shown", "_s")):
                    rows.append((i, name, k.value(f"_run({var}, {args.epochs})", timeout=600)))
        finally:
            k.close()
    print(f"# command: python benchmarks/run_to_run.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print("| pair | run | samples/s | CPU us/sample | GC ms | JAX compilations |")
    print("|---|---|---|---|---|---|")
    for i, name, r in rows:
        print(f"| {i} | {name} | {r['rate']:,.0f} | {r['cpu_us']:.1f} | {r['gc_ms']:.1f} | {r['compiles']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
