"""``one_blas_thread()``: numpy's small matrix products of the live views, on one BLAS thread.

While a run trains, XLA's threads hold the cores. A numpy product or decomposition in the view
(the live FID's features and Fréchet distance, the latent panel's PCA) wakes OpenBLAS's own
threads, which spin for the cores beside XLA's. Measured on the 2-core development machine
(``python benchmarks/blas_threads.py``): asked for ten times a second beside a training VAE, the
live FID's features and distance and a PCA of 360 codes took 19.8 ms instead of 8.4 ms, and the
training ran at 56,077 samples/s instead of 83,515 (quiet machine; with another job beside it,
84 ms instead of 3 ms and 31,024 samples/s instead of 54,555).
Inside this context BLAS uses one thread, and products of this size lose nothing by it.

The limit is process-wide while any holder is inside (BLAS has one setting for all threads),
counted so that overlapping holders in several threads restore the user's setting only when
the last one leaves. Without ``threadpoolctl`` (a dependency of scikit-learn) it does nothing.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_holders = 0
_limiter: Any = None
_kept: Any = None  # (modules imported when made, ThreadpoolController)


def _free_control() -> None:
    """Let the next thread that sets OpenBLAS's limit set it. threadpoolctl (3.6 and later) lets
    only one thread set it, the first that did, and silently ignores the others (OpenBLAS built
    with pthreads has one pool for the process); here the view's thread and the training thread
    set it in turn, and the user's own ``threadpool_limits`` must keep working."""
    try:
        from threadpoolctl import OpenBLASController

        OpenBLASController.clear_controlling_thread(force=True)
    except Exception:  # noqa: BLE001 - an older threadpoolctl: every thread may set it
        pass


def _controller() -> Any:
    """threadpoolctl's view of the loaded BLAS libraries, kept while no module has been imported
    since it was made (a new library comes with an import). Making one reads the process's
    libraries: in and out of this context took 2.4 ms that way against 0.02 ms with a kept one
    (benchmarks/view_overheads.py); the view enters it at each draw and live FID."""
    global _kept
    from threadpoolctl import ThreadpoolController

    modules = len(sys.modules)
    if _kept is None or _kept[0] != modules:
        _kept = (modules, ThreadpoolController())
    return _kept[1]


def _limit() -> Any:
    """Set BLAS to one thread; the limiter that restores the setting, or None."""
    try:
        controller = _controller()
        _free_control()
        try:
            return controller.limit(limits=1, user_api="blas")
        finally:
            _free_control()  # and leave it to nobody: the user's next threadpool_limits sets it
    except Exception:  # noqa: BLE001 - no threadpoolctl, or a library it cannot read: no limit
        return None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the body with BLAS on one thread (see the module's docstring).

    Example:
        >>> import numpy as np
        >>> with one_blas_thread():
        ...     _ = np.ones((64, 64)) @ np.ones((64, 64))
    """
    global _holders, _limiter
    with _lock:
        if _holders == 0:
            _limiter = _limit()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _limiter is not None:
                _free_control()
                _limiter.restore_original_limits()
                _free_control()
                _limiter = None


__all__ = ["one_blas_thread"]
