"""nbgen's functions that make a session for you: ``train`` (headless, with a progress line),
``load`` (a saved session) and ``replay`` (a saved session's run, again).

They sit above :mod:`nbgen.session` (they build Sessions) and below the ui; ``nbgen/__init__.py``
gives them their public names (``nbgen.train``, ``nbgen.load``, ``nbgen.replay``). The file
format is :mod:`nbgen.saving`'s, below the session, so that ``Session.save`` can write it.
"""

from __future__ import annotations

import os
from typing import Any

from . import progress as _progress
from . import saving
from .session import Session


def load(path: str | os.PathLike) -> Session:
    """Restore a session written by ``Session.save``: weights, config, history, timeline.

    Refuses files that are not nbgen sessions; never unpickles anything (see :mod:`nbgen.saving`).
    """
    saved = saving.read(path)
    session = Session(saved.model, saved.data, **saved.config)
    session.restore(**saved.restoration(session))
    return session


def replay(path: str | os.PathLike, block: bool = True) -> Session:
    """Load the session at ``path`` and replay its run: see :meth:`Session.replay`."""
    return load(path).replay(block=block)


def train(
    model: str = "vae",
    data: Any = "digits",
    *,
    epochs: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
    **hyperparameters: Any,
) -> Session:
    """Build a session, train it headless (blocking) and return it.

    Args:
        model, data, **hyperparameters: as for :class:`Session`.
        epochs: how long to train; also the session's ``epochs`` (which ``anneal`` plans for).
        seed: the random seed (weights, shuffling, sampling).
        progress: a one-line progress bar on standard error (epoch, loss, samples/s, ETA).
            Default: on in a terminal and in a notebook, off under ``CI=true`` or when
            output goes to a pipe or a file.

    Example:
        >>> s = train("autoencoder", "digits", epochs=20, latent_dim=8, progress=False)
        >>> s.evaluate()["mse"] < s.evaluate()["pca_mse"]
        True
    """
    if epochs is not None:  # the run's length is the session's ``epochs`` (and anneal's plan)
        hyperparameters["epochs"] = epochs
    session = Session(model, data, seed=seed, **hyperparameters)
    show = _progress.default_enabled() if progress is None else bool(progress)
    if not show:
        session.train()
        return session
    line, unsubscribe = _progress.attach(session, session.hyperparameters["epochs"])
    try:
        session.train()
    finally:
        unsubscribe()
        line.close(session.status)
    return session


__all__ = ["load", "replay", "train"]
