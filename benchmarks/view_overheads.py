"""Three overheads of the live view, each the old way against the way nbgen does it now, in one
process: the BLAS thread limit, the live FID's sample draws, and the snapshot's layout copy.

Run:  python benchmarks/view_overheads.py [--repeats 50]

1. ``one_blas_thread()`` entered and left: with a new threadpoolctl controller each time (the old
   way: it reads the process's loaded libraries) against the kept one (nbgen._blas now).
2. One live FID of a VAE on digits (500 samples, the views' fixed seeds): 32 ``sample()`` calls
   copied back one by one (the old way) against ``Inference._sample_draws`` (dispatched together,
   copied back once), each followed by the same features and Fréchet distance, both inside
   ``one_blas_thread()`` as nbgen.frames runs them.
3. The snapshot's copy of a VAE figure's layout with the latent-click panel dropped:
   ``go.Layout(layout)`` validated (the old way) against ``_validate=False``.

Printed: milliseconds per call (medians over ``--repeats``) and the ratio old / new.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def _ms(fn, repeats: int) -> float:
    fn()  # warm: compilation, first imports
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=50)
    args = p.parse_args(argv)
    import numpy as np
    import plotly.graph_objects as go
    import sklearn.manifold  # noqa: F401 - loaded in a shown session (t-SNE, PCA): its libraries count
    from threadpoolctl import ThreadpoolController

    import nbgen
    from nbgen._blas import _free_control, one_blas_thread
    from nbgen.frames import SAMPLE_SEED, SAMPLES_SIDE
    from nbgen.sample_quality import LIVE_SAMPLES, live_fid, live_reference
    from nbgen.ui.plots import SessionFigure

    rows = []

    def fresh_limit():  # nbgen._blas before: a new controller at every entry
        _free_control()
        limiter = ThreadpoolController().limit(limits=1, user_api="blas")
        _free_control()
        limiter.restore_original_limits()
        _free_control()

    def kept_limit():
        with one_blas_thread():
            pass

    rows.append(("one_blas_thread() in and out", _ms(fresh_limit, args.repeats), _ms(kept_limit, args.repeats)))

    s = nbgen.Session("vae", "digits", hidden=(256, 256), latent_dim=2, batch_size=128, learning_rate=1e-3)
    s.train(30)
    real = live_reference(s)[0]
    n, seeds = SAMPLES_SIDE**2, [SAMPLE_SEED + i for i in range(-(-LIVE_SAMPLES // SAMPLES_SIDE**2))]

    def fid_one_by_one():
        with one_blas_thread():
            live_fid(s, real, np.concatenate([s.sample(n, seed=k) for k in seeds])[:LIVE_SAMPLES])

    def fid_together():
        with one_blas_thread():
            live_fid(s, real, s._sample_draws(n, seeds)[:LIVE_SAMPLES])

    rows.append(
        ("a live FID (500 samples, VAE, digits)", _ms(fid_one_by_one, args.repeats), _ms(fid_together, args.repeats))
    )

    fig = SessionFigure(s, static=True)
    fig.draw(force=True)
    layout = fig.widget.layout.to_plotly_json()
    layout.pop("template", None)
    rows.append(
        (
            "the snapshot's layout copy",
            _ms(lambda: go.Layout(layout), args.repeats),
            _ms(lambda: go.Layout(layout, _validate=False), args.repeats),
        )
    )
    print(f"# command: python benchmarks/view_overheads.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print("| what | old ms | now ms | old / now |")
    print("|---|---|---|---|")
    for what, old, new in rows:
        print(f"| {what} | {old:.3f} | {new:.3f} | {old / new:.1f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
