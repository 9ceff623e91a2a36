"""nbgen: train generative models (autoencoder, VAE, GAN) live in a notebook.

import nbgen
session = nbgen.show()                      # the widget: press Train
session = nbgen.train("vae", "digits")      # headless, blocking
"""

from __future__ import annotations

from ._backend import BackendError, ensure_jax_backend

ensure_jax_backend()

from . import data as datasets
from .compare import Comparison, compare, sweep
from .engine import TrainingDiverged
from .session import Session, load, replay, train

__version__ = "0.1.0"


def show(
    model: str = "vae", data="digits", *, autostart: bool = False, display: bool = True, **hyperparameters
) -> Session:
    """Display the live training widget and return its session.

    Training starts when Train is pressed, or at once with ``autostart=True``.
    See :class:`nbgen.Session` for the hyperparameters.
    """
    from .ui.widget import show as _show

    return _show(model, data, autostart=autostart, display=display, **hyperparameters)


__all__ = [
    "BackendError",
    "Comparison",
    "Session",
    "TrainingDiverged",
    "__version__",
    "compare",
    "datasets",
    "load",
    "replay",
    "show",
    "sweep",
    "train",
]
