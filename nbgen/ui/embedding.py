"""The latent panel's projections: PCA (live, exact inverse) or t-SNE, computed on demand.

t-SNE has no inverse and costs seconds (sklearn's Barnes-Hut ``TSNE``), so it cannot be redrawn at
every live update (the live view must cost at most 5% of training). An :class:`Embedder` computes
one embedding of the codes of the first :data:`MAX_TSNE_POINTS` validation rows in a daemon thread
(never in the comm handler or the training thread), with a fixed ``random_state``: the same codes
give the same picture. The first rows, in order, so that point ``i`` is validation row ``i`` (the
hover thumbnails and the labels' colours index rows by point).

Why 300 points: enough to show the classes' clusters (30 a class on the digits), at a cost a
student waits for once, and far below where t-SNE's time grows (about 11 s for 1,000 points on
this machine under load). Measured on the 2-core development machine with
``python benchmarks/tsne_time.py --points 100 200 300 360 --repeats 5`` (a VAE with
``latent_dim=8`` trained 2 epochs on the digits, whose validation set has 360 rows): 300 points
in 0.55 s median at load average 0.7 (200: 0.32 s, 360: 0.78 s); 1.3 s median at load average
2.6, with one run of 7.3 s when another benchmark took the cores (benchmarks/README.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

PROJECTIONS = {"pca": "PCA", "tsne": "t-SNE"}  # a projection's name -> its label in the dropdown
MAX_TSNE_POINTS = 300  # validation rows embedded by t-SNE (see the module's docstring)
TSNE_SEED = 0  # t-SNE's random_state: reproducible pictures


def check_projection(name: Any) -> str:
    """``name`` if it names a projection of the latent panel, else a ValueError naming the allowed ones."""
    if not isinstance(name, str) or name not in PROJECTIONS:
        allowed = ", ".join(repr(p) for p in PROJECTIONS)
        raise ValueError(f"projection must be one of {allowed}, got {name!r}")
    return name


def check_tsne(latent_dim: int | None, kind: str = "this") -> None:
    """A ValueError unless t-SNE can draw a latent space of ``latent_dim`` dimensions (None: the
    ``kind`` model has none); a space of 2 or fewer is drawn as it is."""
    if latent_dim is None:
        raise ValueError(f"projection 'tsne': the {kind} model has no latent space to project")
    if latent_dim <= 2:
        raise ValueError(
            f"projection 'tsne' needs latent_dim > 2, got latent_dim={latent_dim}: a latent space of "
            f"{latent_dim} dimensions is drawn as it is (use 'pca')"
        )


def tsne(codes: np.ndarray) -> np.ndarray:
    """The 2-D t-SNE embedding of ``codes`` (n, dim), float32 (n, 2); deterministic for given codes."""
    from sklearn.manifold import TSNE  # lazy: importing nbgen stays fast

    codes = np.asarray(codes, dtype=np.float64)
    perplexity = min(30.0, max(1.0, (len(codes) - 1) / 3))  # sklearn needs perplexity < n
    model = TSNE(2, perplexity=perplexity, init="pca", learning_rate="auto", random_state=TSNE_SEED)
    return model.fit_transform(codes).astype(np.float32)


@dataclass
class Embedding:
    """A t-SNE picture: ``xy[i]`` is where validation row ``i``, of code ``codes[i]``, is drawn."""

    step: int  # the training step whose codes were embedded
    codes: np.ndarray  # (n, latent_dim)
    xy: np.ndarray  # (n, 2)

    def nearest(self, x: float, y: float) -> int:
        """The index of the embedded point nearest to ``(x, y)``."""
        return int(np.argmin(((self.xy - np.array([x, y], dtype=np.float32)) ** 2).sum(1)))


class Embedder:
    """Computes one embedding at a time in a daemon thread; a newer ``start`` supersedes an older one.

    ``done`` is called in the worker thread, holding ``lock``, with the :class:`Embedding` (or the
    exception that ended it), only while its job is still the newest: a ``cancel()`` made under
    the same lock is never followed by an old job's ``done``.
    """

    def __init__(self, lock: Any):
        self._lock = lock
        self._generation = 0
        self._finished = threading.Event()
        self._finished.set()

    @property
    def computing(self) -> bool:
        return not self._finished.is_set()

    def start(self, codes: np.ndarray, step: int, done: Callable[[Embedding | BaseException], None]) -> None:
        with self._lock:
            self._generation += 1
            generation, finished = self._generation, threading.Event()
            self._finished = finished

        def work() -> None:
            try:
                result: Embedding | BaseException = Embedding(step, codes, tsne(codes))
            except Exception as exc:  # noqa: BLE001 - reported by done, never raised in a thread
                result = exc
            with self._lock:
                if generation == self._generation:
                    done(result)
            finished.set()

        threading.Thread(target=work, name="nbgen-tsne", daemon=True).start()

    def cancel(self) -> None:
        """Forget the job in flight (its result is dropped)."""
        with self._lock:
            self._generation += 1
            self._finished.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the newest job is done (drawn); False on timeout."""
        return self._finished.wait(timeout)
